// Reads an Auth0 tenant's logs by checkpoint: GET /api/v2/logs?from=…&take=…, then the Link
// rel="next" URL, until the empty page that means caught up. Every page is checked before it is
// handed on, because a checkpoint is only as good as the ids it is made of.

import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError, SourceError } from "../errors.ts";
import type { Checkpoint, LogEvent, Page, ReadContext, Source, TokenCache } from "../interfaces.ts";
import { JsonInputError, parseBoundedJson } from "../util/bounded-json.ts";
import {
  excerpt,
  exchange,
  type HttpAnswer,
  header,
  newAgent,
  statusVerdict,
} from "../util/http.ts";
import { retryFor, withRetry } from "../util/retry.ts";
import type { Agent } from "../util/undici.ts";
import { CHECKPOINT_PATTERN, checkpointProblem } from "./checkpoint.ts";
import { DEFAULT_SHARE, Pacer, parseRateLimit } from "./pacer.ts";
import { TokenProvider } from "./token.ts";

/**
 * The largest logs page read: 100 events of 160 KiB each. A bigger answer is not Auth0's (a proxy,
 * an attack) or holds events no search cluster would index; reading it whole could end the process.
 */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;
/** Deeper nesting than any Auth0 event has; Elasticsearch's own mapping limit is 20. */
export const MAX_PAGE_DEPTH = 100;
/**
 * Values in one page: 5 000 for each of 100 events, far more than any has. 16 MiB of "[[]],"
 * (only 2 levels deep) would otherwise build 7 million arrays and exhaust the heap.
 */
export const MAX_PAGE_VALUES = 500_000;

export interface Auth0SourceOptions {
  origin: string;
  clientId: string;
  clientSecret: string;
  batchSize: number;
  /** The token cache. */
  store: TokenCache;
  requestTimeoutMs: number;
  /** AUTH0_RATE_LIMIT_SHARE as a fraction; the default share when not given. */
  rateLimitShare?: number | undefined;
}

/** The URL in a Link header whose rel is "next", or null. */
export function nextLink(value: string | undefined): string | null {
  if (!value) return null;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /\brel\s*=\s*"?next"?/i.test(match[2] ?? "")) return match[1] ?? null;
  }
  return null;
}

/** An id from an answer, fit for a message: an id's digits as they are, anything else quoted. */
function shownId(value: unknown): string {
  if (typeof value !== "string") return value === null ? "null" : typeof value;
  if (CHECKPOINT_PATTERN.test(value)) return value;
  const printable = value.slice(0, 60).replace(/[^\x20-\x7e]/g, "?");
  return `${JSON.stringify(printable)}${value.length > 60 ? "…" : ""}`;
}

/**
 * Checks that an answer is an array of events whose ids can each become the checkpoint
 * (checkpointProblem: the same rule as START_FROM and replay), ascending and newer than `from`.
 * The whole page is refused otherwise: its last id would become the checkpoint, and one id that
 * sorts after every id Auth0 will assign would make every later read come back empty.
 */
export function validatePage(body: unknown, from: Checkpoint, now = Date.now()): LogEvent[] {
  if (!Array.isArray(body)) {
    throw new SourceError(
      `Auth0 answered GET /api/v2/logs with ${body === null ? "null" : typeof body} instead of an array of events`,
      { retryable: false },
    );
  }
  let previous = from;
  for (let i = 0; i < body.length; i++) {
    const event = body[i] as LogEvent | null;
    const id: unknown = event && typeof event === "object" ? event.log_id : undefined;
    const problem = checkpointProblem(id, now);
    if (problem !== null || typeof id !== "string") {
      throw new SourceError(
        `Auth0 logs endpoint (GET /api/v2/logs) sent an event without a valid log_id (item ${i} of the page read from ${from}): log_id ${shownId(id)}, ${problem}; nothing of this page was committed`,
        { retryable: false },
      );
    }
    if (id <= previous) {
      throw new SourceError(
        `Auth0 logs endpoint (GET /api/v2/logs) sent log_id ${id} (item ${i}) that is not newer than ${previous}: events must be ascending and newer than the checkpoint ${from}; nothing of this page was committed`,
        { retryable: false },
      );
    }
    previous = id;
  }
  return body as LogEvent[];
}

/**
 * Built once per job: its pacer keeps the tenant's rate-limit history and its connections stay open
 * between executions (with TAIL a poll every few seconds), which is why each call carries its own
 * execution's context instead.
 */
export class Auth0Source implements Source {
  private readonly options: Auth0SourceOptions;
  private readonly tokens: TokenProvider;
  private readonly agent: Agent;
  readonly pacer: Pacer;

  constructor(options: Auth0SourceOptions) {
    this.options = options;
    this.pacer = new Pacer(options.rateLimitShare ?? DEFAULT_SHARE);
    this.agent = newAgent(options.requestTimeoutMs);
    this.tokens = new TokenProvider(options, options.store, this.agent);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  firstRead(from: Checkpoint): string {
    return this.urlFrom(from);
  }

  private urlFrom(from: Checkpoint): string {
    return `${this.options.origin}/api/v2/logs?from=${from}&take=${this.options.batchSize}`;
  }

  async authenticate(context: ReadContext): Promise<void> {
    await withRetry(() => this.tokens.fetchNew(context.signal), retryFor("source", context));
  }

  async read(url: string, context: ReadContext): Promise<Page> {
    const from = new URL(url).searchParams.get("from") ?? "";
    // A checkpoint stored before its ids were checked (or a clock set back) may already be one
    // that nothing follows: reading from it would report "caught up" for ever.
    const problem = checkpointProblem(from);
    if (problem !== null) {
      throw new SourceError(
        `the checkpoint ${shownId(from)} cannot be read from: ${problem}; 'replay --since <time>' moves it back`,
        { retryable: false },
      );
    }
    const { answer, body } = await withRetry(
      () => this.fetchPage(url, context),
      retryFor("source", context),
    );
    const events = validatePage(body, from);
    if (events.length === 0) return { events, next: null, caughtUp: true };
    const last = (events[events.length - 1] as LogEvent).log_id;
    const next = this.checkedNext(header(answer, "link"), last, context);
    return { events, next, caughtUp: false };
  }

  /** Follows Auth0's next link when it continues from the last event; otherwise builds the URL. */
  private checkedNext(link: string | undefined, last: Checkpoint, context: ReadContext): string {
    const next = nextLink(link);
    const own = this.urlFrom(last);
    if (next === null) {
      context.warn?.('Auth0 sent no Link rel="next" header; continuing from the last event');
      return own;
    }
    let parsed: URL;
    try {
      parsed = new URL(next, this.options.origin);
    } catch {
      context.warn?.("Auth0 sent a malformed next link; continuing from the last event");
      return own;
    }
    if (parsed.origin !== this.options.origin || parsed.pathname !== "/api/v2/logs") {
      // Never send the bearer token to a host other than the configured tenant.
      context.warn?.("Auth0's next link points elsewhere than the tenant's logs; ignored");
      return own;
    }
    if (parsed.searchParams.get("from") !== last) {
      context.warn?.("Auth0's next link does not continue from the last event; ignored");
      return own;
    }
    return parsed.toString();
  }

  private async fetchPage(
    url: string,
    context: ReadContext,
  ): Promise<{ answer: HttpAnswer; body: unknown }> {
    const { signal } = context;
    const wait = this.pacer.delay();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        throw new AbortedError();
      }
    }
    let answer = await this.get(url, await this.tokens.get(signal), signal);
    if (answer.status === 401) {
      // Tokens can be revoked or expire early: one fresh token, and only one.
      this.tokens.invalidate();
      answer = await this.get(url, await this.tokens.fetchNew(signal), signal);
      if (answer.status === 401) {
        throw new SourceError("Auth0 rejected a freshly issued token for GET /api/v2/logs (401)", {
          retryable: false,
        });
      }
    }
    this.classify(answer, context);
    try {
      const limits = { maxDepth: MAX_PAGE_DEPTH, maxValues: MAX_PAGE_VALUES };
      return { answer, body: parseBoundedJson(answer.body, limits) };
    } catch (error) {
      if (error instanceof JsonInputError && error.problem !== "syntax") {
        throw new SourceError(
          `Auth0 logs endpoint sent a page ${error.message}; it was not parsed`,
          { retryable: false },
        );
      }
      // A truncated or HTML body on a 200 is a transport accident more often than not.
      throw new SourceError(
        `Auth0 sent a logs page that is not JSON: ${excerpt(answer.body, 60)}`,
        {
          retryable: true,
        },
      );
    }
  }

  private async get(url: string, token: string, signal?: AbortSignal): Promise<HttpAnswer> {
    const sentAt = Date.now();
    const answer = await exchange(this.agent, url, {
      method: "GET",
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal,
      peer: "Auth0 logs endpoint",
      errorClass: SourceError,
      maxBytes: MAX_PAGE_BYTES,
    });
    this.pacer.observe(parseRateLimit(answer.headers), answer.status !== 429, sentAt);
    return answer;
  }

  private classify(answer: HttpAnswer, context: ReadContext): void {
    const { status } = answer;
    const verdict = statusVerdict(answer, {
      only200: true,
      waitFrom: ["retry-after", "x-ratelimit-reset"],
    });
    if (verdict.kind === "ok") return;
    if (verdict.kind === "retry") {
      if (!verdict.rateLimited) {
        throw new SourceError(`Auth0 logs endpoint answered ${status}`, { retryable: true });
      }
      context.stats.rateLimited.source++;
      const { retryAt } = verdict;
      throw new SourceError("Auth0 logs endpoint rate limited (429)", {
        retryable: true,
        ...(retryAt === undefined ? {} : { retryAt }),
      });
    }
    // A 401 was answered with a fresh token before (fetchPage): only a 403 gets here as credentials.
    if (verdict.kind === "credentials" && status === 403) {
      throw new SourceError(
        "Auth0 refused GET /api/v2/logs (403): grant the application the read:logs scope on the Management API",
        { retryable: false },
      );
    }
    throw new SourceError(
      `Auth0 rejected GET /api/v2/logs (${status}): ${excerpt(answer.body)}; the checkpoint was not moved`,
      { retryable: false },
    );
  }
}
