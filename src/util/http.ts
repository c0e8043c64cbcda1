// One place that turns an HTTP exchange into either an answer or a classified error, so that the
// source and the sinks share the same notion of "the network failed, try again".

import { AbortedError, type ExporterError } from "../errors.ts";
import { maskedStart } from "./secrets.ts";
import { Agent, type Dispatcher, errors } from "./undici.ts";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function newAgent(timeoutMs: number): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 4,
  });
}

export function header(answer: Pick<HttpAnswer, "headers">, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * What an HTTP status means, judged the same way for every peer the exporter depends on (Auth0's
 * token and logs endpoints, Logstash, Elasticsearch/OpenSearch), as undici's retry interceptor
 * keeps one status table:
 * - `ok`: 2xx (200 alone for a peer whose API answers nothing else on success, `only200`);
 * - `retry`: 429 (`rateLimited`), 408 and 5xx: the same request may succeed later; after a 429,
 *   `retryAt` is read from the headers the peer sends, in the order of `waitFrom`;
 * - `credentials`: 401 and 403: the credentials or their permissions are wrong, no retry fixes it;
 * - `refused`: anything else: the request itself was refused.
 * Each peer words its messages, for the settings that fix them. Slack is the exception: a post is
 * fire and forget (notify/slack.ts) and never waits on the shared backoff, so it answers a 429 with
 * one more try after a short Retry-After, and gives anything else up at once.
 */
export type StatusVerdict =
  | { kind: "ok" }
  | { kind: "retry"; rateLimited: boolean; retryAt?: number }
  | { kind: "credentials" }
  | { kind: "refused" };

/** The headers a peer says when to try again by: Retry-After (seconds) or X-RateLimit-Reset (epoch seconds). */
export type RetryHeader = "retry-after" | "x-ratelimit-reset";

export function statusVerdict(
  answer: Pick<HttpAnswer, "status" | "headers">,
  policy: { only200?: boolean; waitFrom?: readonly RetryHeader[] } = {},
): StatusVerdict {
  const { status } = answer;
  if (policy.only200 ? status === 200 : status >= 200 && status < 300) return { kind: "ok" };
  if (status === 429) {
    const retryAt = retryAtFrom(answer, policy.waitFrom ?? []);
    return { kind: "retry", rateLimited: true, ...(retryAt === undefined ? {} : { retryAt }) };
  }
  if (status >= 500 || status === 408) return { kind: "retry", rateLimited: false };
  if (status === 401 || status === 403) return { kind: "credentials" };
  return { kind: "refused" };
}

function retryAtFrom(
  answer: Pick<HttpAnswer, "headers">,
  names: readonly RetryHeader[],
): number | undefined {
  for (const name of names) {
    const value = Number(header(answer, name));
    if (!Number.isFinite(value) || value <= 0) continue;
    return name === "retry-after" ? Date.now() + value * 1000 : value * 1000;
  }
  return undefined;
}

/** Connection-level failures: always worth another try. */
function networkReason(error: unknown): string | undefined {
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) {
    return "timed out";
  }
  if (error instanceof errors.ConnectTimeoutError) return "connection timed out";
  if (error instanceof errors.SocketError) return "connection reset";
  if (error instanceof errors.RequestContentLengthMismatchError) return "answer cut short";
  if (error instanceof errors.ResponseContentLengthMismatchError) return "answer cut short";
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) {
    const known: Record<string, string> = {
      ECONNREFUSED: "connection refused",
      ECONNRESET: "connection reset",
      EPIPE: "connection reset",
      ENOTFOUND: "host not found",
      EAI_AGAIN: "host lookup failed",
      ETIMEDOUT: "connection timed out",
      EHOSTUNREACH: "host unreachable",
      ENETUNREACH: "network unreachable",
    };
    return known[code] ?? code;
  }
  return undefined;
}

/** TLS verdicts on a peer's certificate, by Node's error code: retrying changes none of them. */
const CERTIFICATE_CODES: Record<string, "untrusted" | "expired" | "not yet valid" | "name"> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "untrusted",
  SELF_SIGNED_CERT_IN_CHAIN: "untrusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "untrusted",
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "untrusted",
  CERT_SIGNATURE_FAILURE: "untrusted",
  CERT_UNTRUSTED: "untrusted",
  CERT_REJECTED: "untrusted",
  INVALID_CA: "untrusted",
  CERT_REVOKED: "untrusted",
  CERT_HAS_EXPIRED: "expired",
  CERT_NOT_YET_VALID: "not yet valid",
  ERR_TLS_CERT_ALTNAME_INVALID: "name",
  HOSTNAME_MISMATCH: "name",
};

/**
 * What is wrong with the peer's certificate, for people: which peer and host, and what to do;
 * undefined when the failure is not about a certificate. `caSetting` names the setting that
 * trusts a private CA for this peer, beside NODE_EXTRA_CA_CERTS (which every peer honours).
 */
export function certificateProblem(
  error: unknown,
  peer: string,
  host: string,
  caSetting?: string,
): string | undefined {
  const codeOf = (e: unknown) => (e as { code?: unknown } | null)?.code;
  const code = [codeOf(error), codeOf((error as { cause?: unknown } | null)?.cause)].find(
    (c): c is string => typeof c === "string" && c in CERTIFICATE_CODES,
  );
  if (code === undefined) return undefined;
  const which = `${peer}: the TLS certificate of ${host}`;
  switch (CERTIFICATE_CODES[code]) {
    case "untrusted": {
      const trust = caSetting
        ? `set ${caSetting} to its CA certificate's file (or NODE_EXTRA_CA_CERTS for every peer)`
        : "give its CA certificate's file in NODE_EXTRA_CA_CERTS (an environment variable read when the process starts)";
      return `${which} is not trusted (${code}); if a private CA signed it, ${trust}`;
    }
    case "expired":
      return `${which} has expired (${code}); the server needs a renewed certificate`;
    case "not yet valid":
      return `${which} is not valid yet (${code}); check this machine's clock and the server's`;
    default:
      return `${which} was not issued for that name (${code}); use a host name the certificate names`;
  }
}

export async function exchange(
  dispatcher: Dispatcher,
  url: string,
  options: {
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
    headers?: Record<string, string>;
    body?: string | Buffer;
    signal?: AbortSignal | undefined;
    /** Who answered, for messages: "Auth0" or "Logstash". */
    peer: string;
    /** The largest answer body read; a larger one fails the exchange before it is buffered. */
    maxBytes: number;
    /** Keep the first `maxBytes` of a larger answer instead of failing: only its status matters. */
    truncate?: boolean;
    /** The setting that trusts a private CA for this peer, named when its certificate is not. */
    caSetting?: string;
    errorClass: new (
      message: string,
      options: { retryable: boolean; status?: number; cause?: unknown },
    ) => ExporterError;
  },
): Promise<HttpAnswer> {
  try {
    const target = new URL(url);
    const response = await dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal: options.signal,
    });
    const body = await readBounded(response, options.maxBytes, options.truncate === true);
    if (body === null) {
      throw new options.errorClass(
        `${options.peer} sent an answer larger than ${sizeText(options.maxBytes)}; it was not read`,
        { retryable: false, status: response.statusCode },
      );
    }
    return { status: response.statusCode, headers: response.headers, body };
  } catch (error) {
    if (error instanceof options.errorClass) throw error;
    if (options.signal?.aborted) throw new AbortedError();
    const host = URL.canParse(url) ? new URL(url).host : "the server";
    const certificate = certificateProblem(error, options.peer, host, options.caSetting);
    if (certificate !== undefined) {
      // Another try meets the same certificate: fail now rather than after RETRY_MAX_TIME.
      throw new options.errorClass(certificate, { retryable: false, cause: error });
    }
    const reason = networkReason(error) ?? "request failed";
    throw new options.errorClass(`${options.peer} ${reason}`, { retryable: true, cause: error });
  }
}

export function sizeText(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/**
 * The body as text, or, when it exceeds `maxBytes`, its start (`truncate`) or null; either way the
 * rest is never read and the connection is dropped.
 */
async function readBounded(
  response: Dispatcher.ResponseData,
  maxBytes: number,
  truncate: boolean,
): Promise<string | null> {
  const declared = Number(response.headers["content-length"]);
  if (!truncate && Number.isFinite(declared) && declared > maxBytes) {
    response.body.destroy();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    if (size + buffer.length > maxBytes) {
      response.body.destroy();
      if (!truncate) return null;
      chunks.push(buffer.subarray(0, maxBytes - size));
      size = maxBytes;
      break;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/**
 * A short, single-line excerpt of an answer body for error messages (HTML bodies are long). Masked
 * before it is shortened: cut first, a secret across the cut would show its first part; with tags
 * dropped or spaces collapsed first, an altered secret would no longer be recognised.
 */
export function excerpt(body: string, max = 120): string {
  const text = maskedStart(body, 64 * 1024)
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
