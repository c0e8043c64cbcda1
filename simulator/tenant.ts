// A simulated Auth0 tenant: the token endpoint and GET /api/v2/logs by checkpoint, following
// ../shared/reference/contracts.md §1-4 — Link headers, rate-limit headers on every answer, 429s
// from a token bucket, and the faults real tenants show (HTML 5xx, resets, truncated bodies...).

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { LogEvent } from "../src/interfaces.ts";
import { Bucket, type RateLimit, SecondClient } from "./bucket.ts";
import { EventLog } from "./events.ts";
import { type FaultPlan, Faults } from "./faults.ts";
import { LogStreamRegistry } from "./log-streams.ts";
import { closeServer, listenOnLoopback } from "./loopback.ts";

export type TenantFault =
  | "429"
  | "500-html"
  | "502-html"
  | "503"
  | "reset"
  | "truncated"
  | "slow"
  | "expired-token"
  | "wrong-shape"
  | "non-json"
  | "400"
  /** A 300 MB answer, announced by Content-Length or chunked: a client must not read it whole. */
  | "huge"
  | "huge-chunked"
  /** 10 MB of nested arrays: JSON.parse would build millions of them. */
  | "deep"
  /** 16 MiB of "[[]],…": within the byte and depth bounds, yet millions of arrays to build. */
  | "wide"
  /**
   * A 400 that quotes the request it refused, as some proxies do: the token endpoint its body, the
   * logs endpoint its Authorization header.
   */
  | "echo-400";

export type { RateLimit };

/** The client the simulator accepts unless told otherwise: not a secret of anyone's. */
export const SIMULATED_CLIENT = { id: "test-client-id", secret: "test-client-secret-4f1c9a" };

/** The scopes granted unless told otherwise: the logs and every Log Streams scope. */
export const DEFAULT_SCOPES = [
  "read:logs",
  "read:logs_users",
  "read:log_streams",
  "create:log_streams",
  "update:log_streams",
];

export interface TenantOptions {
  clientId?: string;
  clientSecret?: string;
  tokenTtlSeconds?: number;
  /**
   * What token answers say in expires_in, when it should differ from the token's real life
   * (tokenTtlSeconds): 1e300, 0.001, 1.5, "86400"... Auth0 documents a number of seconds only.
   */
  expiresIn?: unknown;
  /** Events already in the log, indexed over the `backlogSpanMs` before now (default 1 h). */
  backlog?: number;
  backlogSpanMs?: number;
  /** Bucket of the logs endpoint; without one the headers still come, with large numbers. */
  rateLimit?: RateLimit | null;
  /** Bucket of the token endpoint (the machine-to-machine quota). */
  tokenRateLimit?: RateLimit | null;
  /** Send Retry-After with 429s (UNCONFIRMED for Auth0; off by default). */
  retryAfter?: boolean;
  /**
   * Another client spending the logs endpoint's bucket, in requests per second (the Dashboard,
   * Terraform on an Enterprise tenant's global Management API bucket).
   */
  secondClient?: number;
  /** Write seccft / api_limit / api_limit_warning events into the log, as Auth0 does (default true). */
  recordOwnEvents?: boolean;
  faults?: FaultPlan<TenantFault> | null;
  slowMs?: number;
  /** Delay of every logs answer, like a distant tenant (benchmarks). */
  latencyMs?: number;
  /** Extra query text added to every next link, to show that clients follow it as given. */
  linkExtra?: string;
  /** Rewrites the Link header (to simulate broken ones); return undefined to send none. */
  rewriteLink?: (link: string) => string | undefined;
  name?: string;
  /** The scopes the client is granted on the Management API (DEFAULT_SCOPES). */
  scopes?: string[];
  /** Events whose details vary in type and keys from one to the next, as real tenants' do. */
  variedDetails?: boolean;
}

const UNLIMITED = { burst: 1_000_000, perSecond: 1_000_000 };
const HTML = (status: number, title: string) =>
  `<!DOCTYPE html><html><head><title>${status} ${title}</title></head><body><h1>${title}</h1></body></html>`;

export interface TenantStats {
  tokenRequests: number;
  tokensIssued: number;
  logRequests: number;
  rateLimited: number;
  status: Map<number, number>;
  /** Every logs URL requested, in order (path and query). */
  urls: string[];
  /** When each logs request arrived (epoch ms), in order. */
  logRequestTimes: number[];
}

export class TenantSimulator {
  readonly log: EventLog;
  readonly stats: TenantStats = {
    tokenRequests: 0,
    tokensIssued: 0,
    logRequests: 0,
    rateLimited: 0,
    status: new Map(),
    urls: [],
    logRequestTimes: [],
  };
  readonly logFaults = new Faults<TenantFault>();
  readonly tokenFaults = new Faults<TenantFault>();
  url = "";
  private readonly options: Required<
    Omit<
      TenantOptions,
      | "rateLimit"
      | "tokenRateLimit"
      | "faults"
      | "linkExtra"
      | "rewriteLink"
      | "latencyMs"
      | "variedDetails"
      | "expiresIn"
      | "secondClient"
      | "scopes"
    >
  > &
    TenantOptions;
  private readonly tokens = new Map<string, number>();
  /** The scopes each token was issued with: a grant changed later applies to new tokens. */
  private readonly tokenScopes = new Map<string, ReadonlySet<string>>();
  private scopes: string[];
  /** The tenant's Log Streams and their API (log-streams.ts). */
  readonly logStreams = new LogStreamRegistry();
  private logsBucket: Bucket;
  /** The other client of the logs bucket, when `secondClient` asked for one. */
  readonly secondClient: SecondClient | null;
  private tokenBucket: Bucket;
  private stream: NodeJS.Timeout | null = null;
  private readonly server = createServer((req, res) => this.handle(req, res));

  constructor(options: TenantOptions = {}) {
    this.options = {
      clientId: SIMULATED_CLIENT.id,
      clientSecret: SIMULATED_CLIENT.secret,
      tokenTtlSeconds: 86_400,
      backlog: 0,
      backlogSpanMs: 3_600_000,
      retryAfter: false,
      recordOwnEvents: true,
      slowMs: 2_000,
      name: "simulated",
      ...options,
    };
    this.scopes = options.scopes ?? DEFAULT_SCOPES;
    this.log = new EventLog(this.options.name, options.variedDetails === true);
    this.logsBucket = this.newLogsBucket(options.rateLimit ?? UNLIMITED);
    this.secondClient = options.secondClient
      ? new SecondClient(() => this.logsBucket, options.secondClient)
      : null;
    this.tokenBucket = new Bucket(options.tokenRateLimit ?? UNLIMITED);
    this.logFaults.set(options.faults ?? null);
    this.addBacklog(this.options.backlog, this.options.backlogSpanMs);
  }

  async listen(): Promise<this> {
    const port = await listenOnLoopback(this.server);
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Adds `count` events indexed over the `spanMs` before now. */
  addBacklog(count: number, spanMs = 3_600_000): void {
    const now = Date.now();
    for (let i = 0; i < count; i++)
      this.log.append(now - spanMs + Math.floor((i * spanMs) / count));
  }

  addEvents(count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(this.log.append(Date.now()));
    return ids;
  }

  /** Appends one event with the given fields (for odd shapes); returns its id. */
  addEvent(fields: Partial<LogEvent>): string {
    return this.log.append(Date.now(), fields);
  }

  startStream(eventsPerSecond: number): void {
    this.stopStream();
    const every = Math.max(5, 1000 / eventsPerSecond);
    const perTick = Math.max(1, Math.round((eventsPerSecond * every) / 1000));
    this.stream = setInterval(() => this.addEvents(perTick), every);
  }

  stopStream(): void {
    if (this.stream) clearInterval(this.stream);
    this.stream = null;
  }

  setRateLimit(limit: RateLimit | null): void {
    this.logsBucket = this.newLogsBucket(limit ?? UNLIMITED);
  }

  /** The logs endpoint's bucket: its minutes under 20 % and its lowest point. */
  get logsRateLimit(): Bucket {
    return this.logsBucket;
  }

  private newLogsBucket(limit: RateLimit): Bucket {
    const bucket = new Bucket(limit);
    bucket.onWarning = () => {
      if (this.options.recordOwnEvents)
        this.addEvent({
          type: "api_limit_warning",
          description: "Rate limit warning threshold exceeded",
        });
    };
    return bucket;
  }

  setFaults(plan: FaultPlan<TenantFault> | null): void {
    this.logFaults.set(plan);
  }

  failNext(kind: TenantFault, count = 1, endpoint: "logs" | "token" = "logs"): void {
    (endpoint === "logs" ? this.logFaults : this.tokenFaults).failNext(kind, count);
  }

  /** A secret rotated in Auth0's dashboard: tokens already issued stay valid until they expire. */
  setClientSecret(secret: string): void {
    this.options.clientSecret = secret;
  }

  expireTokens(): void {
    this.tokens.clear();
  }

  /** Changes the client's grant, as in Auth0's dashboard: tokens issued from now on carry it. */
  setScopes(scopes: string[]): void {
    this.scopes = scopes;
  }

  eventIds(): string[] {
    return Array.from({ length: this.log.size }, (_, i) => this.log.idAt(i));
  }

  createdAt(id: string): number | undefined {
    return this.log.addedAt(id);
  }

  async close(): Promise<void> {
    this.stopStream();
    this.secondClient?.stop();
    await closeServer(this.server);
  }

  /** Auth0's answer to a query it refuses. */
  private badQuery(res: ServerResponse, message: string, rate: Record<string, string>): void {
    this.send(
      res,
      400,
      { statusCode: 400, error: "Bad Request", message, errorCode: "invalid_query_string" },
      rate,
    );
  }

  private count(status: number): void {
    this.stats.status.set(status, (this.stats.status.get(status) ?? 0) + 1);
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    this.count(status);
    res.writeHead(status, {
      "content-type":
        typeof body === "string" && body.startsWith("<")
          ? "text/html"
          : "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.method === "POST" && url.pathname === "/oauth/token") return this.token(body, req, res);
    if (req.method === "GET" && url.pathname === "/api/v2/logs") return this.logs(url, req, res);
    if (url.pathname.startsWith("/api/v2/log-streams"))
      return this.logStreamsApi(url, req, res, body);
    this.send(res, 404, { statusCode: 404, error: "Not Found", message: "Not Found" });
  }

  /** Applies a fault; returns true when the answer was given (or withheld) by it. */
  private async fault(
    kind: TenantFault | null,
    res: ServerResponse,
    rate: Record<string, string>,
  ): Promise<boolean> {
    switch (kind) {
      case null:
        return false;
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, this.options.slowMs));
        return false;
      case "reset":
        this.count(0);
        res.socket?.destroy();
        return true;
      case "429":
        this.stats.rateLimited++;
        this.send(res, 429, TOO_MANY, rate);
        return true;
      case "500-html":
        this.send(res, 500, HTML(500, "Internal Server Error"), rate);
        return true;
      case "502-html":
        this.send(res, 502, HTML(502, "Bad Gateway"), rate);
        return true;
      case "503":
        this.send(res, 503, HTML(503, "Service Unavailable"), rate);
        return true;
      case "400":
        this.badQuery(res, "Query validation error: 'Invalid value' on property from.", rate);
        return true;
      case "huge":
      case "huge-chunked":
        this.hugeAnswer(res, kind === "huge");
        return true;
      case "deep": {
        const depth = 5 * 1024 * 1024;
        this.send(res, 200, `${"[".repeat(depth)}${"]".repeat(depth)}`, rate);
        return true;
      }
      case "wide": {
        const units = Math.floor((16 * 1024 * 1024 - 2) / 5);
        this.send(res, 200, `[${"[[]],".repeat(units - 1)}[[]]]`, rate);
        return true;
      }
      default:
        return false;
    }
  }

  /** 300 MB of events, written as the client reads, until it hangs up. */
  private hugeAnswer(res: ServerResponse, announced: boolean): void {
    const event = JSON.stringify(this.log.size > 0 ? this.log.eventAt(0) : { log_id: "0" });
    const chunk = Buffer.from(`,${event}`.repeat(Math.ceil((1024 * 1024) / (event.length + 1))));
    const total = Math.ceil((300 * 1024 * 1024) / chunk.length) * chunk.length;
    this.count(200);
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      ...(announced ? { "content-length": String(total + event.length + 2) } : {}),
    });
    let sent = 0;
    res.write(`[${event}`);
    const pump = () => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      if (!res.destroyed) res.end("]");
    };
    pump();
  }

  private async token(body: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.tokenRequests++;
    const rate = this.tokenBucket.headers();
    const fault = this.tokenFaults.next();
    if (fault === "echo-400") {
      this.send(res, 400, { error: "invalid_request", error_description: `Bad request: ${body}` });
      return;
    }
    if (await this.fault(fault, res, rate)) return;
    if (!this.tokenBucket.take()) {
      this.send(res, 429, TOO_MANY, this.tokenBucket.headers());
      return;
    }
    let params: Record<string, unknown>;
    try {
      params = String(req.headers["content-type"]).includes("json")
        ? JSON.parse(body)
        : Object.fromEntries(new URLSearchParams(body));
    } catch {
      this.send(
        res,
        400,
        { error: "invalid_request", error_description: "Invalid JSON body" },
        rate,
      );
      return;
    }
    if (params.grant_type !== "client_credentials" || params.audience !== `${this.url}/api/v2/`) {
      this.send(
        res,
        403,
        { error: "access_denied", error_description: "Service not enabled within domain" },
        rate,
      );
      return;
    }
    if (
      params.client_id !== this.options.clientId ||
      params.client_secret !== this.options.clientSecret
    ) {
      this.send(res, 401, { error: "access_denied", error_description: "Unauthorized" }, rate);
      return;
    }
    const token = randomBytes(24).toString("base64url");
    this.tokens.set(token, Date.now() + this.options.tokenTtlSeconds * 1000);
    this.tokenScopes.set(token, new Set(this.scopes));
    this.stats.tokensIssued++;
    if (this.options.recordOwnEvents)
      this.addEvent({
        type: "seccft",
        description: "Client Credentials for Access Token",
        client_id: this.options.clientId,
      });
    this.send(
      res,
      200,
      {
        access_token: token,
        expires_in:
          "expiresIn" in this.options ? this.options.expiresIn : this.options.tokenTtlSeconds,
        scope: this.scopes.join(" "),
        token_type: "Bearer",
      },
      rate,
    );
  }

  /** GET/POST/PATCH /api/v2/log-streams[/{id}], on the same tokens and rate limit as the logs. */
  private logStreamsApi(url: URL, req: IncomingMessage, res: ServerResponse, body: string): void {
    const rate = this.logsBucket.headers();
    if (!this.logsBucket.take()) {
      this.stats.rateLimited++;
      this.send(res, 429, TOO_MANY, rate);
      return;
    }
    const token = bearer(req);
    const expiresAt = token ? this.tokens.get(token) : undefined;
    if (token === undefined || expiresAt === undefined || expiresAt < Date.now()) {
      this.send(res, 401, UNAUTHORIZED, rate);
      return;
    }
    const scopes = this.tokenScopes.get(token) ?? new Set<string>();
    const answer = this.logStreams.handle(req.method ?? "GET", url.pathname, body, scopes);
    this.send(res, answer.status, answer.body, rate);
  }

  private async logs(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.logRequests++;
    this.stats.urls.push(`${url.pathname}${url.search}`);
    this.stats.logRequestTimes.push(Date.now());
    const fault = this.logFaults.next();
    if (!this.logsBucket.take()) {
      this.stats.rateLimited++;
      if (this.options.recordOwnEvents)
        this.addEvent({ type: "api_limit", description: "Global limit has been reached" });
      const headers = this.logsBucket.headers();
      if (this.options.retryAfter)
        headers["retry-after"] = String(
          Math.max(1, Number(headers["x-ratelimit-reset"]) - Math.floor(Date.now() / 1000)),
        );
      this.send(res, 429, TOO_MANY, headers);
      return;
    }
    if (this.options.latencyMs)
      await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    const rate = this.logsBucket.headers();
    if (await this.fault(fault, res, rate)) return;
    if (fault === "echo-400") {
      const { authorization } = req.headers;
      this.send(res, 400, { statusCode: 400, error: "Bad Request", authorization }, rate);
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const expiresAt = token ? this.tokens.get(token) : undefined;
    if (fault === "expired-token" || expiresAt === undefined || expiresAt < Date.now()) {
      this.send(
        res,
        401,
        {
          statusCode: 401,
          error: "Unauthorized",
          message: "Expired token received for JSON Web Token validation",
          attributes: { error: "Expired token received for JSON Web Token validation" },
        },
        rate,
      );
      return;
    }
    const from = url.searchParams.get("from");
    const take = Number(url.searchParams.get("take") ?? "50");
    if (!Number.isInteger(take) || take < 1 || take > 100) {
      this.badQuery(
        res,
        "Query validation error: 'Invalid value' on property take (The amount of entries to retrieve).",
        rate,
      );
      return;
    }
    if (from === null || !/^\d{56}$/.test(from)) {
      this.badQuery(
        res,
        "Query validation error: 'String does not match pattern ^\\d+$' on property from.",
        rate,
      );
      return;
    }
    const start = this.log.firstAfter(from);
    const end = Math.min(start + take, this.log.size);
    const events: LogEvent[] = [];
    for (let i = start; i < end; i++) events.push(this.log.eventAt(i));
    // From the last event's id as served: an odd id (a test's) is what a client must continue from.
    const last = events[events.length - 1]?.log_id;
    const nextFrom =
      end > start ? (typeof last === "string" ? last : this.log.idAt(end - 1)) : from;
    const next = `${this.url}/api/v2/logs?from=${nextFrom}&take=${take}${this.options.linkExtra ?? ""}`;
    const link = `<${next}>; rel="next"`;
    const rewritten = this.options.rewriteLink ? this.options.rewriteLink(link) : link;
    const headers: Record<string, string> =
      rewritten === undefined ? { ...rate } : { ...rate, link: rewritten };
    if (fault === "wrong-shape") return this.send(res, 200, { logs: events }, headers);
    if (fault === "non-json") return this.send(res, 200, HTML(200, "Please wait"), headers);
    if (fault === "truncated") {
      const text = JSON.stringify(events);
      this.count(200);
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(Buffer.byteLength(text)),
        ...headers,
      });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }
    this.send(res, 200, events, headers);
  }
}

/** The valid token a request carries, or undefined. */
function bearer(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
}

const UNAUTHORIZED = {
  statusCode: 401,
  error: "Unauthorized",
  message: "Expired token received for JSON Web Token validation",
  attributes: { error: "Expired token received for JSON Web Token validation" },
};

const TOO_MANY = {
  statusCode: 429,
  error: "Too Many Requests",
  message: "Global limit has been reached",
  errorCode: "too_many_requests",
};

export async function startTenant(options: TenantOptions = {}): Promise<TenantSimulator> {
  return new TenantSimulator(options).listen();
}
