// How each request is authenticated: a fixed Authorization header (basic, API key), or AWS SigV4,
// which signs each request over its method, path, headers and (compressed) body. The AWS SDK's
// credential chain is loaded only when SigV4 is configured.

import { createHash } from "node:crypto";
import type { ElasticsearchAuth } from "./config.ts";

export type Signer = (
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
) => Promise<Record<string, string>>;

interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Credentials from the standard chain, fetched again shortly before they expire. */
function awsCredentials(): () => Promise<AwsCredentials> {
  let provider: (() => Promise<AwsCredentials>) | null = null;
  let cached: AwsCredentials | null = null;
  return async () => {
    const fresh = cached?.expiration ? cached.expiration.getTime() - Date.now() > 300_000 : cached;
    if (cached && fresh) return cached;
    if (!provider) {
      const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
      provider = defaultProvider() as () => Promise<AwsCredentials>;
    }
    cached = await provider();
    return cached;
  };
}

export function signerFor(auth: ElasticsearchAuth): Signer {
  switch (auth.kind) {
    case "none":
      return async (_url, _method, headers) => headers;
    case "basic": {
      const value = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
      return async (_url, _method, headers) => ({ ...headers, authorization: value });
    }
    case "api-key":
      return async (_url, _method, headers) => ({
        ...headers,
        authorization: `ApiKey ${auth.key}`,
      });
    case "aws": {
      const credentials = awsCredentials();
      return async (url, method, headers, body) => {
        const { default: aws4 } = await import("aws4");
        const parsed = new URL(url);
        const signed: Record<string, string> = { ...headers };
        // Serverless requires the payload hash as a signed header; hashing the bytes as sent
        // (after gzip) is what the service checks.
        if (auth.service === "aoss") {
          signed["x-amz-content-sha256"] = createHash("sha256")
            .update(body ?? Buffer.alloc(0))
            .digest("hex");
        }
        const request = {
          host: parsed.host,
          path: `${parsed.pathname}${parsed.search}`,
          method,
          headers: signed,
          body,
          service: auth.service,
          region: auth.region,
        };
        aws4.sign(request, await credentials());
        return request.headers as Record<string, string>;
      };
    }
  }
}
