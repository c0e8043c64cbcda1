// The tenant's Log Streams through the Management API (/api/v2/log-streams): the sweep reads its
// stream's status (read:log_streams) and sets it back to active when asked (update:log_streams);
// `setup --log-stream` creates (create:log_streams) or updates the custom-webhook stream. Same
// token cache, timeouts, status verdicts and bounded answers as the logs source (source.ts). One
// attempt per call: a health read that fails is a warning and the next sweep reads again; setup
// is run by a person, who sees the error.

import { z } from "zod";
import { ExporterError } from "../errors.ts";
import type { TokenCache } from "../interfaces.ts";
import { parseBoundedJson } from "../util/bounded-json.ts";
import { excerpt, exchange, type HttpAnswer, newAgent, statusVerdict } from "../util/http.ts";
import type { Agent } from "../util/undici.ts";
import { TokenProvider } from "./token.ts";

/** A Log Streams request failed; the message names the endpoint and, on 403, the scope to grant. */
export class LogStreamError extends ExporterError {}

/** A tenant has a handful of streams (the plan limits them): 1 MiB is far more than a list takes. */
export const MAX_ANSWER_BYTES = 1024 * 1024;
const LIMITS = { maxDepth: 20, maxValues: 50_000 };

/** The statuses Auth0 documents; another one (new in Auth0) is read as it is and is "not active". */
export const LOG_STREAM_STATUSES = ["active", "paused", "suspended"] as const;

export type ContentFormat = "JSONLINES" | "JSONARRAY" | "JSONOBJECT";

const customHeader = z.object({ header: z.string().max(1024), value: z.string().max(8192) });

/** The sink as Auth0 answers it: an http stream's fields, other types' (eventbridge, datadog…) kept loose. */
const sinkSchema = z
  .object({
    httpEndpoint: z.string().max(8192).optional(),
    httpContentType: z.string().max(1024).optional(),
    httpContentFormat: z.string().max(64).optional(),
    httpAuthorization: z.string().max(8192).optional(),
    httpCustomHeaders: z.array(customHeader).max(100).optional(),
  })
  .loose();

export const logStreamSchema = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().max(1024),
    type: z.string().max(64),
    status: z.string().min(1).max(64),
    sink: sinkSchema.optional(),
    filters: z.array(z.object({ type: z.string(), name: z.string() }).loose()).optional(),
    isPriority: z.boolean().optional(),
  })
  .loose();

export type LogStream = z.infer<typeof logStreamSchema>;

/** The fields of a custom-webhook stream this service sets. */
export interface HttpSink {
  httpEndpoint: string;
  httpContentType: string;
  httpContentFormat: ContentFormat;
  httpAuthorization: string;
  httpCustomHeaders?: { header: string; value: string }[];
}

export interface NewLogStream {
  name: string;
  type: "http";
  sink: HttpSink;
}

/** What PATCH may change: the status (active or paused), the name, the sink. */
export interface LogStreamChange {
  status?: "active" | "paused";
  name?: string;
  sink?: Partial<HttpSink>;
}

export interface LogStreamsOptions {
  origin: string;
  clientId: string;
  clientSecret: string;
  store: TokenCache;
  requestTimeoutMs: number;
}

type Method = "GET" | "POST" | "PATCH";

/** The scope each call needs, named when Auth0 answers 403. */
const SCOPE: Record<Method, string> = {
  GET: "read:log_streams",
  POST: "create:log_streams",
  PATCH: "update:log_streams",
};

const PATH = "/api/v2/log-streams";

export class LogStreamsClient {
  private readonly origin: string;
  private readonly tokens: TokenProvider;
  private readonly agent: Agent;

  constructor(options: LogStreamsOptions) {
    this.origin = options.origin;
    this.agent = newAgent(options.requestTimeoutMs);
    this.tokens = new TokenProvider(options, options.store, this.agent);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  async get(id: string, signal?: AbortSignal): Promise<LogStream> {
    const what = `GET ${idPath(id)}`;
    return checked(
      logStreamSchema,
      await this.call("GET", idPath(id), undefined, signal, 200),
      what,
    );
  }

  async list(signal?: AbortSignal): Promise<LogStream[]> {
    const body = await this.call("GET", PATH, undefined, signal, 200);
    return checked(z.array(logStreamSchema).max(1000), body, `GET ${PATH}`);
  }

  async create(stream: NewLogStream, signal?: AbortSignal): Promise<LogStream> {
    // Auth0 answers 200 to a creation (its docs), 201 from a proxy or a later version is as good.
    return checked(
      logStreamSchema,
      await this.call("POST", PATH, stream, signal, null),
      `POST ${PATH}`,
    );
  }

  async update(id: string, change: LogStreamChange, signal?: AbortSignal): Promise<LogStream> {
    const what = `PATCH ${idPath(id)}`;
    return checked(
      logStreamSchema,
      await this.call("PATCH", idPath(id), change, signal, 200),
      what,
    );
  }

  /** One request (again once with a fresh token after a 401), its answer parsed and bounded. */
  private async call(
    method: Method,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    only: 200 | null,
  ): Promise<unknown> {
    const what = `${method} ${path}`;
    const send = async (token: string) =>
      exchange(this.agent, `${this.origin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
        peer: `Auth0 Log Streams endpoint (${what})`,
        errorClass: LogStreamError,
        maxBytes: MAX_ANSWER_BYTES,
      });
    let answer = await send(await this.tokens.get(signal));
    if (answer.status === 401) {
      // Tokens can be revoked or expire early: one fresh token, and only one.
      this.tokens.invalidate();
      answer = await send(await this.tokens.fetchNew(signal));
    }
    verdictOf(answer, method, what, only);
    try {
      return parseBoundedJson(answer.body, LIMITS);
    } catch {
      throw new LogStreamError(
        `Auth0 answered ${what} with a body that is not JSON: ${excerpt(answer.body, 60)}`,
        {
          retryable: true,
        },
      );
    }
  }
}

/** The answer as the schema has it, or an error that says which field is wrong (never its value). */
function checked<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "the answer";
  throw new LogStreamError(
    `Auth0 answered ${what} with something that is not a Log Stream: ${where}: ${issue?.message ?? "invalid"}`,
    { retryable: false },
  );
}

function idPath(id: string): string {
  return `${PATH}/${encodeURIComponent(id)}`;
}

/** Throws the error an answer other than success means, worded for the setting that fixes it. */
function verdictOf(answer: HttpAnswer, method: Method, what: string, only: 200 | null): void {
  const { status } = answer;
  const verdict = statusVerdict(answer, {
    only200: only === 200,
    waitFrom: ["retry-after", "x-ratelimit-reset"],
  });
  if (verdict.kind === "ok") return;
  if (verdict.kind === "retry") {
    const { retryAt } = verdict;
    throw new LogStreamError(
      verdict.rateLimited
        ? `Auth0 rate limited ${what} (429)`
        : `Auth0 answered ${what} with ${status}`,
      { retryable: true, status, ...(retryAt === undefined ? {} : { retryAt }) },
    );
  }
  if (verdict.kind === "credentials") {
    throw new LogStreamError(
      status === 403
        ? `Auth0 refused ${what} (403): grant the application the ${SCOPE[method]} scope on the Management API`
        : `Auth0 rejected a freshly issued token for ${what} (401)`,
      { retryable: false, status },
    );
  }
  if (status === 404) {
    throw new LogStreamError(
      `Auth0 has no such Log Stream (${what} answered 404): check LOG_STREAM_ID`,
      {
        retryable: false,
        status,
      },
    );
  }
  throw new LogStreamError(`Auth0 refused ${what} (${status}): ${excerpt(answer.body, 240)}`, {
    retryable: false,
    status,
  });
}
