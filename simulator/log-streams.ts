// The simulated tenant's Log Streams: the streams themselves (status, sink) and the Management API
// that reads and changes them (GET/POST/PATCH /api/v2/log-streams[/{id}]), following
// ../shared/reference/log-streams-and-users.md §2 and Auth0's API pages. A stream's pusher
// (stream.ts) reads `status`, calls `suspend()` after failures as Auth0 does, and follows
// `onStatus` to stop and start; tests and the demo call the same methods.

export type FakeStreamStatus = "active" | "paused" | "suspended";
export type FakeContentFormat = "JSONLINES" | "JSONARRAY" | "JSONOBJECT";

export interface FakeSink {
  httpEndpoint: string;
  httpContentType: string;
  httpContentFormat: FakeContentFormat;
  httpAuthorization?: string;
  httpCustomHeaders?: { header: string; value: string }[];
}

export type StatusListener = (status: FakeStreamStatus, previous: FakeStreamStatus) => void;

const FORMATS: readonly string[] = ["JSONLINES", "JSONARRAY", "JSONOBJECT"];

export class FakeLogStream {
  readonly id: string;
  name: string;
  readonly type = "http";
  sink: FakeSink;
  readonly filters: { type: string; name: string }[];
  readonly isPriority: boolean;
  private current: FakeStreamStatus = "active";
  private readonly listeners = new Set<StatusListener>();

  constructor(
    id: string,
    fields: { name: string; sink: FakeSink; filters?: { type: string; name: string }[] },
  ) {
    this.id = id;
    this.name = fields.name;
    this.sink = fields.sink;
    this.filters = fields.filters ?? [];
    this.isPriority = false;
  }

  get status(): FakeStreamStatus {
    return this.current;
  }

  /** Sets the status (the API's PATCH, the Dashboard's buttons) and tells the listeners. */
  setStatus(status: FakeStreamStatus): void {
    const previous = this.current;
    if (previous === status) return;
    this.current = status;
    for (const listener of this.listeners) listener(status, previous);
  }

  /** What Auth0 does after failing to deliver for long enough ("Disabled … successive errors"). */
  suspend(): void {
    this.setStatus("suspended");
  }

  pause(): void {
    this.setStatus("paused");
  }

  /** Calls `listener` on every change of status; returns what stops it. */
  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  toJSON() {
    return {
      id: this.id,
      name: this.name,
      type: this.type,
      status: this.current,
      sink: this.sink,
      filters: this.filters,
      isPriority: this.isPriority,
    };
  }
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const error = (statusCode: number, message: string, errorCode: string): ApiAnswer => {
  const names: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 404: "Not Found" };
  return { status: statusCode, body: { statusCode, error: names[statusCode], message, errorCode } };
};

const invalid = (message: string) =>
  error(400, `Payload validation error: ${message}`, "invalid_body");

/** The tenant's streams, and the Management API on them. */
export class LogStreamRegistry {
  private readonly streams = new Map<string, FakeLogStream>();
  private readonly added = new Set<(stream: FakeLogStream) => void>();
  private next = 1;
  /** Every request to the log-streams API, "METHOD /path", in order. */
  readonly requests: string[] = [];

  /** Adds a stream as POST would (tests, the demo); returns it. */
  create(fields: {
    name: string;
    sink: FakeSink;
    filters?: { type: string; name: string }[];
  }): FakeLogStream {
    const id = `lst_${String(this.next++).padStart(16, "0")}`;
    const stream = new FakeLogStream(id, fields);
    this.streams.set(id, stream);
    for (const listener of this.added) listener(stream);
    return stream;
  }

  get(id: string): FakeLogStream | undefined {
    return this.streams.get(id);
  }

  list(): FakeLogStream[] {
    return [...this.streams.values()];
  }

  /** Calls `listener` with each stream created from now on (a pusher starting for it). */
  onCreate(listener: (stream: FakeLogStream) => void): () => void {
    this.added.add(listener);
    return () => this.added.delete(listener);
  }

  /**
   * Answers a request to /api/v2/log-streams[/{id}] whose token carries `scopes` (checked as Auth0
   * does: 403 insufficient_scope naming the scope expected).
   */
  handle(method: string, path: string, body: string, scopes: ReadonlySet<string>): ApiAnswer {
    this.requests.push(`${method} ${path}`);
    const match = /^\/api\/v2\/log-streams(?:\/([^/]+))?$/.exec(path);
    const id = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
    const need = {
      GET: "read:log_streams",
      POST: "create:log_streams",
      PATCH: "update:log_streams",
    }[method];
    const misplaced =
      (method === "POST" && id !== undefined) || (method === "PATCH" && id === undefined);
    if (!match || need === undefined || misplaced) {
      return error(404, "Not Found", "not_found");
    }
    if (!scopes.has(need)) {
      return error(403, `Insufficient scope, expected any of: ${need}`, "insufficient_scope");
    }
    if (method === "GET" && id === undefined) return { status: 200, body: this.list() };
    let parsed: unknown;
    if (method !== "GET") {
      try {
        parsed = JSON.parse(body);
      } catch {
        return invalid("Invalid JSON");
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return invalid("Expected type object");
      }
    }
    if (method === "POST") return this.post(parsed as Record<string, unknown>);
    const stream = this.streams.get(id as string);
    if (!stream) return error(404, "The log stream does not exist", "inexistent_log_stream");
    if (method === "GET") return { status: 200, body: stream };
    return this.patch(stream, parsed as Record<string, unknown>);
  }

  private post(body: Record<string, unknown>): ApiAnswer {
    for (const key of Object.keys(body)) {
      if (!["name", "type", "sink", "filters", "isPriority", "startFrom"].includes(key)) {
        return invalid(`Additional properties not allowed: ${key}`);
      }
    }
    if (typeof body.name !== "string" || body.name.length === 0) {
      return invalid("Missing required property: name");
    }
    if (body.type !== "http")
      return invalid("the simulator has custom-webhook (http) streams only");
    const sink = sinkProblem(body.sink, true);
    if (typeof sink === "string") return invalid(sink);
    const stream = this.create({ name: body.name, sink: sink as FakeSink });
    return { status: 200, body: stream };
  }

  private patch(stream: FakeLogStream, body: Record<string, unknown>): ApiAnswer {
    for (const key of Object.keys(body)) {
      if (!["name", "status", "sink", "filters"].includes(key)) {
        return invalid(`Additional properties not allowed: ${key}`);
      }
    }
    if (body.status !== undefined && body.status !== "active" && body.status !== "paused") {
      return invalid("status must be one of active, paused");
    }
    if (body.name !== undefined && (typeof body.name !== "string" || body.name === "")) {
      return invalid("name must be a non-empty string");
    }
    let sink: FakeSink | undefined;
    if (body.sink !== undefined) {
      const merged = sinkProblem({ ...stream.sink, ...(body.sink as object) }, false);
      if (typeof merged === "string") return invalid(merged);
      sink = merged;
    }
    if (typeof body.name === "string") stream.name = body.name;
    if (sink) stream.sink = sink;
    if (body.status !== undefined) stream.setStatus(body.status as FakeStreamStatus);
    return { status: 200, body: stream };
  }
}

/** The sink checked, or what is wrong with it. */
function sinkProblem(value: unknown, creating: boolean): FakeSink | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return creating ? "Missing required property: sink" : "sink must be an object";
  }
  const sink = value as Record<string, unknown>;
  if (typeof sink.httpEndpoint !== "string" || !URL.canParse(sink.httpEndpoint)) {
    return "sink.httpEndpoint must be a URL";
  }
  if (typeof sink.httpContentType !== "string" || sink.httpContentType === "") {
    return "sink.httpContentType must be a string";
  }
  if (typeof sink.httpContentFormat !== "string" || !FORMATS.includes(sink.httpContentFormat)) {
    return "sink.httpContentFormat must be one of JSONLINES, JSONARRAY, JSONOBJECT";
  }
  if (sink.httpAuthorization !== undefined && typeof sink.httpAuthorization !== "string") {
    return "sink.httpAuthorization must be a string";
  }
  return sink as unknown as FakeSink;
}
