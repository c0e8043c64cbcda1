// `setup --log-stream URL`: creates or updates the tenant's custom-webhook Log Stream so that Auth0
// pushes to this service's intake. Idempotent: the stream is found by LOG_STREAM_ID, else by its
// name; one that already says what it should is left alone, without a request.

import { type LogStream, LogStreamsClient, type NewLogStream } from "../../auth0/log-streams.ts";
import type { JobConfig } from "../../config/types.ts";
import { ConfigError } from "../../errors.ts";
import type { CachedToken, TokenCache } from "../../interfaces.ts";

/** The name of the stream this command creates, and by which it finds it again. */
export const STREAM_NAME = "auth0-logs-to-logstash";

/**
 * The Payload URL for a tenant: `url` as given when it already ends with the intake's path;
 * otherwise that path appended: /log-stream for the tenant the environment describes,
 * /log-stream/<tenant id> for a tenant of a tenants file. https only: Auth0 sends nowhere else.
 */
export function streamEndpoint(url: string, tenant: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError([`--log-stream: not a URL: "${url.slice(0, 200)}"`]);
  }
  if (parsed.protocol !== "https:") {
    throw new ConfigError([
      "--log-stream: the URL must be https:// (Auth0 sends only there, with a publicly trusted certificate): put a reverse proxy in front of the intake, or set INTAKE_TLS_CERT and INTAKE_TLS_KEY",
    ]);
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError([
      "--log-stream: give the public URL without credentials, query or fragment (the stream authenticates with LOG_STREAM_TOKEN)",
    ]);
  }
  const path = parsed.pathname.replace(/\/+$/, "");
  const suffix = tenant === "default" ? "/log-stream" : `/log-stream/${tenant}`;
  parsed.pathname = path.endsWith(suffix) ? path : `${path}${suffix}`;
  return parsed.toString();
}

/** The stream the tenant should have. */
export function desiredStream(endpoint: string, token: string): NewLogStream {
  return {
    name: STREAM_NAME,
    type: "http",
    sink: {
      httpEndpoint: endpoint,
      httpContentType: "application/json",
      httpContentFormat: "JSONLINES",
      httpAuthorization: token,
    },
  };
}

export type StreamPlan =
  | { action: "create"; body: NewLogStream }
  | { action: "update"; id: string; body: { sink: NewLogStream["sink"] } }
  | { action: "unchanged"; id: string };

/** What to do, from the stream found (null: none). */
export function planStream(found: LogStream | null, desired: NewLogStream): StreamPlan {
  if (found === null) return { action: "create", body: desired };
  const sink = found.sink ?? {};
  const same = (Object.keys(desired.sink) as (keyof NewLogStream["sink"])[]).every(
    (key) => sink[key] === desired.sink[key],
  );
  return same
    ? { action: "unchanged", id: found.id }
    : { action: "update", id: found.id, body: { sink: desired.sink } };
}

/** The request as --dry-run shows it: the token masked. */
export function shownRequest(plan: StreamPlan): string {
  if (plan.action === "unchanged") return "";
  const body = JSON.parse(JSON.stringify(plan.body)) as { sink: { httpAuthorization?: string } };
  if (body.sink.httpAuthorization !== undefined) body.sink.httpAuthorization = "****";
  const line =
    plan.action === "create" ? "POST /api/v2/log-streams" : `PATCH /api/v2/log-streams/${plan.id}`;
  return `${line}\n${JSON.stringify(body, null, 2)}\n`;
}

/** One token for the command: no store is opened by setup. */
function memoryTokens(): TokenCache {
  const tokens = new Map<string, CachedToken>();
  return {
    get: async (key) => tokens.get(key) ?? null,
    put: async (key, token) => void tokens.set(key, token),
  };
}

/** Sets up one tenant's stream; returns what it says. */
export async function setupLogStream(
  job: JobConfig,
  url: string,
  dry: boolean,
  write: (text: string) => void,
): Promise<void> {
  if (!job.logStream) {
    throw new ConfigError([
      `${job.id === "default" ? "" : `tenant ${job.id}: `}LOG_STREAM_TOKEN is required: the Authorization value the stream will send (a long random value such as "Bearer " and 32 hex digits)`,
    ]);
  }
  const endpoint = streamEndpoint(url, job.id);
  const desired = desiredStream(endpoint, job.logStream.token);
  const client = new LogStreamsClient({
    ...job.auth0,
    store: memoryTokens(),
    requestTimeoutMs: job.requestTimeoutMs,
  });
  try {
    const id = job.logStream.id;
    const found = id
      ? await client.get(id)
      : ((await client.list()).find((s) => s.type === "http" && s.name === STREAM_NAME) ?? null);
    const plan = planStream(found, desired);
    let streamId = plan.action === "create" ? null : plan.id;
    if (plan.action === "unchanged") {
      write(`The Log Stream ${plan.id} already sends to ${endpoint}: nothing to change.\n`);
    } else if (dry) {
      write(`Would send (--dry-run, nothing changed):\n${shownRequest(plan)}`);
    } else {
      const stream =
        plan.action === "create"
          ? await client.create(plan.body)
          : await client.update(plan.id, plan.body);
      streamId = stream.id;
      write(
        `${plan.action === "create" ? "Created" : "Updated"} the Log Stream ${stream.id} (${stream.name}, ${stream.status}): Auth0 sends to ${endpoint}, JSON lines.\n`,
      );
    }
    if (streamId !== null && id !== streamId) {
      write(
        `Set LOG_STREAM_ID=${streamId}${job.id === "default" ? "" : ` for tenant ${job.id}`} so that each sweep watches its status.\n`,
      );
    }
    if (found && found.status !== "active") {
      write(
        `Its status is ${found.status}: set it active in Auth0's dashboard (Monitoring > Streams), or set LOG_STREAM_RESUME=true.\n`,
      );
    }
  } finally {
    await client.close();
  }
}
