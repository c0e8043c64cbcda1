// Who may talk to the fake, and how each product says no. Elasticsearch answers 401 with a JSON
// security_exception and three WWW-Authenticate challenges; the OpenSearch security plugin answers
// a plain-text "Unauthorized"; AWS answers 403 {"message"} before the cluster sees anything. SigV4
// is checked by signing the received request again with aws4, so a client that signs the wrong
// bytes (say, the body before gzip) is caught the way AWS would catch it.

import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import aws4 from "aws4";
import { errorBody, esError, HttpError } from "./errors.ts";
import type { AwsAuth, Flavor, SearchOptions } from "./options.ts";

const ES_CHALLENGES = [
  'Basic realm="security", charset="UTF-8"',
  'Bearer realm="security"',
  "ApiKey",
];

const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

function awsDenied(message: string): HttpError {
  return new HttpError(403, { message });
}

function unauthorized(flavor: Flavor, url: string, reason?: string): HttpError {
  if (!flavor.es) {
    return new HttpError(401, "Unauthorized", {
      "WWW-Authenticate": 'Basic realm="OpenSearch Security"',
    });
  }
  const header = { "WWW-Authenticate": ES_CHALLENGES };
  const error = esError(
    "security_exception",
    reason ?? `missing authentication credentials for REST request [${url}]`,
    { header },
  );
  return new HttpError(401, errorBody(401, error), { "WWW-Authenticate": ES_CHALLENGES });
}

const ANONYMOUS =
  "unable to authenticate with provided credentials and anonymous access is not allowed for this request";

/**
 * The name of the authenticated user, or throws the product's refusal. With no auth configured
 * the cluster is open (security disabled) and the user is "anonymous".
 */
export function authenticate(
  options: SearchOptions,
  flavor: Flavor,
  req: IncomingMessage,
  raw: Buffer,
): string {
  const url = req.url ?? "/";
  const header = req.headers.authorization ?? "";
  const others = options.basic ?? options.apiKey ?? options.bearer;
  if (options.aws) {
    if (header.startsWith("AWS4-HMAC-SHA256")) return verifySigV4(options.aws, req, raw);
    if (others === undefined) throw awsDenied("Missing Authentication Token");
  } else if (others === undefined) {
    return "anonymous";
  }
  const [scheme = "", token = ""] = header.split(" ", 2);
  switch (scheme.toLowerCase()) {
    case "basic": {
      const decoded = Buffer.from(token, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? "" : decoded.slice(colon + 1);
      if (options.basic && user === options.basic.user && password === options.basic.password) {
        return user;
      }
      throw unauthorized(
        flavor,
        url,
        `unable to authenticate user [${user}] for REST request [${url}]`,
      );
    }
    case "apikey":
      if (flavor.es && options.apiKey !== undefined && token === options.apiKey) {
        return Buffer.from(token, "base64").toString("utf8").split(":")[0] ?? "api-key";
      }
      throw unauthorized(flavor, url, ANONYMOUS);
    case "bearer":
      if (options.bearer !== undefined && token === options.bearer) return "token-user";
      throw unauthorized(flavor, url, ANONYMOUS);
    default:
      throw unauthorized(flavor, url);
  }
}

const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

function amzDateToMs(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** Re-signs what arrived and compares; the AWS messages for each way it can go wrong. */
function verifySigV4(aws: AwsAuth, req: IncomingMessage, raw: Buffer): string {
  const header = req.headers.authorization ?? "";
  const match = AUTH_PATTERN.exec(header);
  if (!match) throw awsDenied(SIGNATURE_MISMATCH);
  const [, accessKeyId, day, region, service, signedList = "", signature] = match;
  if (accessKeyId !== aws.accessKeyId) {
    throw awsDenied("The security token included in the request is invalid.");
  }
  if (region !== aws.region) throw awsDenied("Credential should be scoped to a valid region. ");
  if (service !== aws.service) {
    throw awsDenied(`Credential should be scoped to correct service: '${aws.service}'. `);
  }
  const date = req.headers["x-amz-date"];
  if (typeof date !== "string" || !date.startsWith(day ?? "")) {
    throw awsDenied(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  const now = Date.now();
  const sent = amzDateToMs(date);
  const skew = 5 * 60_000;
  if (!(sent >= now - skew)) {
    throw awsDenied(
      `Signature expired: ${date} is now earlier than ${amzDate(now - skew)} (${amzDate(now)} - 5 min.)`,
    );
  }
  if (sent > now + skew) {
    throw awsDenied(
      `Signature not yet current: ${date} is still later than ${amzDate(now + skew)} (${amzDate(now)} + 5 min.)`,
    );
  }
  if (req.headers["x-amz-security-token"] !== aws.sessionToken) {
    throw awsDenied("The security token included in the request is invalid.");
  }
  // Serverless refuses unsigned payloads: the hash must come as a header, over the bytes sent.
  const declared = req.headers["x-amz-content-sha256"];
  const actual = createHash("sha256").update(raw).digest("hex");
  if (aws.service === "aoss" && declared === undefined) throw awsDenied(SIGNATURE_MISMATCH);
  if (declared !== undefined && declared !== actual) throw awsDenied(SIGNATURE_MISMATCH);

  const names = signedList.split(";");
  if (!names.includes("host")) throw awsDenied(SIGNATURE_MISMATCH);
  const headers: Record<string, string> = {};
  const include: Record<string, boolean> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) throw awsDenied(SIGNATURE_MISMATCH);
    headers[name] = Array.isArray(value) ? value.join(",") : value;
    include[name] = true;
  }
  const request = {
    method: req.method,
    path: req.url,
    host: headers.host,
    headers,
    body: raw,
    service: aws.service,
    region: aws.region,
    doNotModifyHeaders: true,
    extraHeadersToInclude: include,
  };
  const signer = new aws4.RequestSigner(request, {
    accessKeyId: aws.accessKeyId,
    secretAccessKey: aws.secretAccessKey,
    sessionToken: aws.sessionToken,
  });
  signer.datetime = date;
  if (signer.signature() !== signature) throw awsDenied(SIGNATURE_MISMATCH);
  return `arn:aws:iam::123456789012:user/${accessKeyId}`;
}
