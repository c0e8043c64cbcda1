// A Logstash http input (logstash-input-http), following contracts.md §6: a JSON array becomes one
// event per element, an object one event, invalid JSON still answers 200 and yields an event
// tagged _jsonparsefailure; basic auth answers 401 with WWW-Authenticate; a full pipeline answers
// 429 without Retry-After. It records every accepted event, by id, with the time it arrived.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";
import { type FaultPlan, Faults } from "./faults.ts";
import { closeServer, listenOnLoopback } from "./loopback.ts";

export type LogstashFault =
  | "401"
  | "429"
  | "500"
  | "503"
  | "reset-before"
  | "reset-after"
  | "slow"
  /** A 400 quoting the request's Authorization header and URL, as a misconfigured proxy might. */
  | "echo-400";

export interface LogstashOptions {
  user?: string;
  password?: string;
  /** Status of a successful answer: 200 (default), 201, 202 or 204. */
  okStatus?: number;
  delayMs?: number;
  slowMs?: number;
  maxPending?: number;
  maxContentLength?: number;
  faults?: FaultPlan<LogstashFault> | null;
  /** Keep whole events (default); false keeps only ids, counts and times (benchmarks). */
  keepEvents?: boolean;
  /** Called with the ids of a request's events once they are recorded, before the answer. */
  onRecorded?: (ids: string[]) => void;
}

export interface LogstashRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  events: number;
  status: number;
}

function idOf(event: unknown): string | undefined {
  if (!event || typeof event !== "object") return undefined;
  const record = event as { log_id?: unknown; data?: { log_id?: unknown } };
  if (typeof record.log_id === "string") return record.log_id;
  return typeof record.data?.log_id === "string" ? record.data.log_id : undefined;
}

export class LogstashFake {
  readonly faults = new Faults<LogstashFault>();
  readonly received: unknown[] = [];
  readonly requests: LogstashRequest[] = [];
  readonly status = new Map<number, number>();
  url = "";
  private readonly counts = new Map<string, number>();
  private readonly firstSeen = new Map<string, number>();
  private readonly options: LogstashOptions;
  private pending = 0;
  private downPort = 0;
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch(() => res.socket?.destroy());
  });

  constructor(options: LogstashOptions = {}) {
    this.options = options;
    this.faults.set(options.faults ?? null);
  }

  async listen(port = 0): Promise<this> {
    const bound = await listenOnLoopback(this.server, port);
    this.url = `http://127.0.0.1:${bound}/`;
    return this;
  }

  /** Stops listening (connections are refused) until comeBack(), on the same port. */
  async goDown(): Promise<void> {
    this.downPort = (this.server.address() as AddressInfo).port;
    await this.close();
  }

  async comeBack(): Promise<void> {
    await this.listen(this.downPort);
  }

  failNext(kind: LogstashFault, count = 1): void {
    this.faults.failNext(kind, count);
  }

  setFaults(plan: FaultPlan<LogstashFault> | null): void {
    this.faults.set(plan);
  }

  setDelay(ms: number): void {
    this.options.delayMs = ms;
  }

  /** How many times each log_id arrived. */
  idCounts(): Map<string, number> {
    return this.counts;
  }

  receivedAt(id: string): number | undefined {
    return this.firstSeen.get(id);
  }

  get eventCount(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  reset(): void {
    this.received.length = 0;
    this.requests.length = 0;
    this.counts.clear();
    this.firstSeen.clear();
    this.status.clear();
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    events: number,
    body = "ok",
    headers: Record<string, string> = {},
  ) {
    this.status.set(status, (this.status.get(status) ?? 0) + 1);
    this.requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      events,
      status,
    });
    res.writeHead(status, { "content-type": "text/plain", ...headers });
    res.end(status === 204 ? undefined : body);
  }

  private record(events: unknown[]): void {
    const now = Date.now();
    const ids: string[] = [];
    for (const event of events) {
      if (this.options.keepEvents !== false) this.received.push(event);
      const id = idOf(event);
      if (id === undefined) continue;
      ids.push(id);
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      if (!this.firstSeen.has(id)) this.firstSeen.set(id, now);
    }
    this.options.onRecorded?.(ids);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.pending++;
    try {
      const max = this.options.maxContentLength ?? 100 * 1024 * 1024;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size <= max) chunks.push(chunk as Buffer);
      }
      if (size > max) return this.answer(req, res, 413, 0, "Payload Too Large");
      if (this.pending > (this.options.maxPending ?? 200))
        return this.answer(req, res, 429, 0, "Too Many Requests");
      const fault = this.faults.next();
      if (fault === "reset-before") {
        res.socket?.destroy();
        return;
      }
      if (fault === "slow")
        await new Promise((resolve) => setTimeout(resolve, this.options.slowMs ?? 2_000));
      if (this.options.delayMs)
        await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
      if (this.options.user !== undefined) {
        const expected = `Basic ${Buffer.from(`${this.options.user}:${this.options.password ?? ""}`).toString("base64")}`;
        if (req.headers.authorization !== expected) {
          return this.answer(req, res, 401, 0, "Unauthorized", {
            "www-authenticate": 'Basic realm="Logstash"',
          });
        }
      }
      if (fault === "401")
        return this.answer(req, res, 401, 0, "Unauthorized", {
          "www-authenticate": 'Basic realm="Logstash"',
        });
      if (fault === "429") return this.answer(req, res, 429, 0, "Too Many Requests");
      if (fault === "echo-400") {
        const echo = `Bad request ${req.url} (authorization: ${req.headers.authorization ?? "none"})`;
        return this.answer(req, res, 400, 0, echo);
      }
      if (fault === "500") return this.answer(req, res, 500, 0, "Internal Server Error");
      if (fault === "503") return this.answer(req, res, 503, 0, "Service Unavailable");
      let raw = Buffer.concat(chunks);
      const encoding = req.headers["content-encoding"];
      try {
        if (encoding === "gzip") raw = gunzipSync(raw);
        else if (encoding === "deflate") raw = inflateSync(raw);
      } catch {
        return this.answer(req, res, 400, 0, "Bad Request");
      }
      const text = raw.toString("utf8");
      let events: unknown[];
      if (String(req.headers["content-type"] ?? "").includes("json")) {
        try {
          const parsed: unknown = JSON.parse(text);
          events = Array.isArray(parsed) ? parsed : [parsed];
        } catch {
          events = [{ message: text, tags: ["_jsonparsefailure"] }];
        }
      } else {
        events = text === "" ? [] : [{ message: text }];
      }
      this.record(events);
      if (fault === "reset-after") {
        // The events are in; the client never hears so. A real cause of duplicates.
        res.socket?.destroy();
        return;
      }
      this.answer(req, res, this.options.okStatus ?? 200, events.length);
    } finally {
      this.pending--;
    }
  }
}

export async function startLogstash(options: LogstashOptions = {}): Promise<LogstashFake> {
  return new LogstashFake(options).listen();
}
