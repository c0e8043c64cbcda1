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

export function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
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

export async function exchange(
  dispatcher: Dispatcher,
  url: string,
  options: {
    method: "GET" | "POST" | "PUT" | "DELETE" | "HEAD";
    headers?: Record<string, string>;
    body?: string | Buffer;
    signal?: AbortSignal | undefined;
    /** Who answered, for messages: "Auth0" or "Logstash". */
    peer: string;
    /** The largest answer body read; a larger one fails the exchange before it is buffered. */
    maxBytes: number;
    /** Keep the first `maxBytes` of a larger answer instead of failing: only its status matters. */
    truncate?: boolean;
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
