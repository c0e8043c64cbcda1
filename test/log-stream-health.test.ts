// The tenant's Log Stream through the Management API, against the simulated tenant: the client's
// answers and errors, the health read on each sweep (warning, metric, one Slack message per
// episode, LOG_STREAM_RESUME), and `setup --log-stream` (created, idempotent, updated, dry run).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { SIMULATED_CLIENT, startTenant, type TenantSimulator } from "../simulator/tenant.ts";
import { type LogStreamError, LogStreamsClient } from "../src/auth0/log-streams.ts";
import { streamEndpoint } from "../src/cli/commands/setup-log-stream.ts";
import type { CachedToken, JobStore, LogStreamChange, TokenCache } from "../src/interfaces.ts";
import { Metrics } from "../src/metrics/prometheus.ts";
import { checkStreamHealth, nextHealth } from "../src/runner/stream-health.ts";
import { runWarning } from "../src/util/run-warnings.ts";
import { runCli, tempDir } from "./helpers/cli.ts";
import { exporterEnv } from "./helpers/env.ts";
import { world } from "./helpers/world.ts";

const TOKEN = "Bearer 0123456789abcdef0123456789abcdef";
const sink = {
  httpEndpoint: "https://logs.example.com/log-stream",
  httpContentType: "application/json",
  httpContentFormat: "JSONLINES" as const,
  httpAuthorization: TOKEN,
};

function memoryTokens(): TokenCache {
  const tokens = new Map<string, CachedToken>();
  return { get: async (k) => tokens.get(k) ?? null, put: async (k, t) => void tokens.set(k, t) };
}

const clientFor = (tenant: TenantSimulator) =>
  new LogStreamsClient({
    origin: tenant.url,
    clientId: "test-client-id",
    clientSecret: SIMULATED_CLIENT.secret,
    store: memoryTokens(),
    requestTimeoutMs: 2_000,
  });

/** Only what the health check uses of a store: the job state, and the record of deliveries. */
function fakeStore(): JobStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    state: {
      get: async (key: string) => values.get(key) ?? null,
      set: async (key: string, value: string) => void values.set(key, value),
      delete: async (key: string) => void values.delete(key),
    },
    delivered: {
      summary: async () => ({ stream: 5, sweep: 2, lastPushAt: "2026-01-01T00:00:00.000Z" }),
    },
  } as unknown as JobStore & { values: Map<string, string> };
}

describe("the Log Streams client against the simulated tenant", () => {
  let tenant: TenantSimulator;
  before(async () => {
    tenant = await startTenant();
  });
  after(() => tenant.close());

  it("creates, reads, lists and updates a stream", async () => {
    const client = clientFor(tenant);
    const created = await client.create({ name: "one", type: "http", sink });
    assert.equal(created.status, "active");
    assert.equal((await client.get(created.id)).sink?.httpEndpoint, sink.httpEndpoint);
    assert.ok((await client.list()).some((s) => s.id === created.id));
    assert.equal((await client.update(created.id, { status: "paused" })).status, "paused");
    await client.close();
  });

  it("names the missing scope on 403, and LOG_STREAM_ID on 404; neither is retryable", async () => {
    tenant.setScopes(["read:logs"]);
    const client = clientFor(tenant);
    await assert.rejects(client.get("lst_1"), (error: LogStreamError) => {
      assert.match(error.message, /GET \/api\/v2\/log-streams\/lst_1 \(403\).*read:log_streams/);
      return error.retryable === false;
    });
    await assert.rejects(client.update("lst_1", { status: "active" }), /update:log_streams/);
    await client.close();
    tenant.setScopes(["read:logs", "read:log_streams"]);
    const other = clientFor(tenant);
    await assert.rejects(other.get("lst_404"), /404.*LOG_STREAM_ID/);
    await other.close();
    tenant.setScopes(["read:logs", "read:log_streams", "create:log_streams", "update:log_streams"]);
  });
});

describe("the stream's health on each sweep", () => {
  let tenant: TenantSimulator;
  before(async () => {
    tenant = await startTenant();
  });
  after(() => tenant.close());

  const setup = (resume: boolean) => {
    const stream = tenant.logStreams.create({ name: "watched", sink });
    const store = fakeStore();
    const metrics = new Metrics({ defaults: false });
    const told: LogStreamChange[] = [];
    const client = clientFor(tenant);
    const deps = {
      config: { id: "acme", logStream: { token: TOKEN, id: stream.id, resume, sweepDelayMs: 0 } },
      client,
      store,
      observer: metrics,
      notifier: {
        logStreamChanged: (change: LogStreamChange) => told.push(change),
      } as never,
      logger: pino({ level: "silent" }),
    };
    return { stream, store, metrics, told, client, check: () => checkStreamHealth(deps) };
  };

  it("active: no warning; status metric 1 for active; the store's last push told", async () => {
    const { metrics, told, client, check } = setup(false);
    assert.deepEqual(await check(), []);
    const text = await metrics.registry.metrics();
    assert.match(text, /log_stream_status\{tenant="acme",status="active"\} 1/);
    assert.match(text, /log_stream_status\{tenant="acme",status="suspended"\} 0/);
    assert.match(text, /stream_last_push_timestamp_seconds\{tenant="acme"\} 1767225600/);
    assert.equal(told.length, 0);
    await client.close();
  });

  it("suspended: a log-stream warning each sweep, ONE Slack message, and one when active again", async () => {
    const { stream, metrics, told, client, check } = setup(false);
    stream.suspend();
    const [first] = await check();
    assert.equal(runWarning(first as string).kind, "log-stream");
    assert.match(first as string, /is not active: it is suspended/);
    await check();
    await check();
    assert.equal(told.length, 1, "one message for the episode, not one per sweep");
    assert.deepEqual(
      { ...told[0], warning: undefined },
      {
        active: false,
        id: stream.id,
        status: "suspended",
        resumed: false,
        warning: undefined,
      },
    );
    assert.match(await metrics.registry.metrics(), /status="suspended"\} 1/);
    stream.setStatus("active");
    assert.deepEqual(await check(), []);
    await check();
    assert.equal(told.length, 2);
    assert.equal(told[1]?.active, true);
    await client.close();
  });

  it("LOG_STREAM_RESUME: set back to active, and the run says so", async () => {
    const { stream, told, client, check } = setup(true);
    stream.suspend();
    const warnings = await check();
    assert.equal(stream.status, "active");
    assert.match(
      warnings[0] as string,
      /^resumed the Log Stream lst_\d+ \(it was suspended\); the sweep fills what it missed$/,
    );
    assert.equal(told[0]?.active === false && told[0].resumed, true);
    await client.close();
  });

  it("a failed read (missing scope) is a warning, never a throw; it neither begins nor ends an episode", async () => {
    const { client, told, check } = setup(false);
    tenant.setScopes(["read:logs"]);
    tenant.expireTokens();
    const warnings = await check();
    tenant.setScopes(["read:logs", "read:log_streams", "create:log_streams", "update:log_streams"]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /could not read the Log Stream .*read:log_streams/);
    assert.equal(runWarning(warnings[0] as string).kind, "other");
    assert.equal(told.length, 0);
    await client.close();
  });

  it("the episode: pure rules", () => {
    const read = (status: string | null) => ({ id: "lst_1", status, error: null, resumed: false });
    const a = nextHealth(null, read("paused"), 1);
    assert.equal(a.episode, "began");
    const b = nextHealth(a.health, read("suspended"), 2);
    assert.equal(b.episode, null);
    assert.equal(b.health.downSince, 1);
    assert.equal(nextHealth(b.health, read(null), 3).episode, null);
    assert.equal(nextHealth(b.health, read("active"), 4).episode, "ended");
    assert.equal(nextHealth({ ...b.health, id: "lst_2" }, read("active"), 4).episode, null);
  });
});

describe("setup --log-stream URL", () => {
  let tenant: TenantSimulator;
  before(async () => {
    tenant = await startTenant();
  });
  after(() => tenant.close());

  const env = (extra: Record<string, string> = {}) =>
    exporterEnv(tenant, { url: "http://127.0.0.1:1" }, tempDir(), {
      LOG_STREAM_TOKEN: TOKEN,
      ...extra,
    });

  it("the Payload URL: https only; /log-stream appended unless there; a tenants file's per tenant", () => {
    assert.equal(
      streamEndpoint("https://x.example.com", "default"),
      "https://x.example.com/log-stream",
    );
    assert.equal(
      streamEndpoint("https://x.example.com/a2l/", "default"),
      "https://x.example.com/a2l/log-stream",
    );
    assert.equal(
      streamEndpoint("https://x.example.com/log-stream", "default"),
      "https://x.example.com/log-stream",
    );
    assert.equal(
      streamEndpoint("https://x.example.com", "acme"),
      "https://x.example.com/log-stream/acme",
    );
    assert.equal(
      streamEndpoint("https://x.example.com/log-stream/acme", "acme"),
      "https://x.example.com/log-stream/acme",
    );
    assert.throws(() => streamEndpoint("http://x.example.com", "default"), /https/);
  });

  it("--dry-run shows the request with the token masked and changes nothing", async () => {
    const result = await runCli(
      ["setup", "--log-stream", "https://logs.example.com", "--dry-run"],
      env(),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /POST \/api\/v2\/log-streams/);
    assert.match(result.stdout, /"httpAuthorization": "\*\*\*\*"/);
    assert.match(result.stdout, /"httpContentFormat": "JSONLINES"/);
    assert.doesNotMatch(result.stdout + result.stderr, /0123456789abcdef0123456789abcdef/);
    assert.equal(tenant.logStreams.list().length, 0);
  });

  it("creates the stream and prints its id; again: unchanged, without a request; a new URL updates it", async () => {
    const first = await runCli(["setup", "--log-stream", "https://logs.example.com"], env());
    assert.equal(first.code, 0, first.stderr);
    const [stream] = tenant.logStreams.list();
    assert.ok(stream);
    assert.deepEqual(stream.sink, { ...sink, httpEndpoint: "https://logs.example.com/log-stream" });
    assert.match(first.stdout, new RegExp(`Created the Log Stream ${stream.id}`));
    assert.match(first.stdout, new RegExp(`Set LOG_STREAM_ID=${stream.id}`));

    const writes = () => tenant.logStreams.requests.filter((r) => !r.startsWith("GET")).length;
    const before = writes();
    const again = await runCli(
      ["setup", "--log-stream", "https://logs.example.com"],
      env({ LOG_STREAM_ID: stream.id }),
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to change/);
    assert.doesNotMatch(again.stdout, /Set LOG_STREAM_ID/);
    assert.equal(writes(), before);

    const moved = await runCli(["setup", "--log-stream", "https://new.example.com"], env());
    assert.match(moved.stdout, new RegExp(`Updated the Log Stream ${stream.id}`));
    assert.equal(stream.sink.httpEndpoint, "https://new.example.com/log-stream");
    assert.equal(tenant.logStreams.list().length, 1, "found by its name: not a second stream");
  });

  it("LOG_STREAM_TOKEN is required; http:// is refused", async () => {
    const noToken = exporterEnv(tenant, { url: "http://127.0.0.1:1" }, tempDir());
    const a = await runCli(["setup", "--log-stream", "https://logs.example.com"], noToken);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /LOG_STREAM_TOKEN is required/);
    const b = await runCli(["setup", "--log-stream", "http://logs.example.com"], env());
    assert.equal(b.code, 2);
    assert.match(b.stderr, /must be https/);
  });
});

describe("the sweep's run takes the stream's warnings", () => {
  it("withNotices gives them to the execution's warn with its first read, once", async () => {
    const { withNotices } = await import("../src/runner/once.ts");
    const reads: string[] = [];
    const source = withNotices(
      {
        firstRead: (from) => `u?from=${from}`,
        read: async (url) => {
          reads.push(url);
          return { events: [], next: null, caughtUp: true };
        },
        authenticate: async () => {},
        close: async () => {},
      },
      Promise.resolve(["the Log Stream lst_1 is not active: it is paused (…)"]),
    );
    const warned: string[] = [];
    const context = { warn: (m: string) => warned.push(m) } as never;
    await source.read("a", context);
    await source.read("b", context);
    assert.deepEqual(reads, ["a", "b"]);
    assert.deepEqual(warned, ["the Log Stream lst_1 is not active: it is paused (…)"]);
  });
});

describe("check reads the tenant's Log Stream (LOG_STREAM_ID)", () => {
  it("ok when active and sending the token; WARN when suspended; FAIL when it sends another token", async (t) => {
    const w = await world(t);
    const stream = w.tenant.logStreams.create({ name: "auth0-logs-to-logstash", sink });
    const env = { ...w.env, LOG_STREAM_TOKEN: TOKEN, LOG_STREAM_ID: stream.id };
    const active = await runCli(["check"], env, w.dir);
    assert.equal(active.code, 0, active.stdout + active.stderr);
    assert.match(active.stdout, new RegExp(`ok {4}Log Stream \\(${stream.id}, active, sends to`));
    stream.suspend();
    const suspended = await runCli(["check"], env, w.dir);
    assert.equal(suspended.code, 0, suspended.stdout);
    assert.match(suspended.stdout, /WARN {2}Log Stream: lst_\w+ is suspended: nothing is pushed/);
    stream.sink = { ...sink, httpAuthorization: "Bearer something-else-entirely-0000" };
    const other = await runCli(["check"], env, w.dir);
    assert.equal(other.code, 1);
    assert.match(
      other.stdout,
      /FAIL {2}Log Stream: lst_\w+ sends an Authorization that is not LOG_STREAM_TOKEN/,
    );
    assert.doesNotMatch(
      other.stdout + other.stderr,
      /something-else-entirely|0123456789abcdef0123/,
    );
    const unwatched = await runCli(["check"], { ...w.env, LOG_STREAM_TOKEN: TOKEN }, w.dir);
    assert.equal(unwatched.code, 0);
    assert.match(
      unwatched.stdout,
      /WARN {2}Log Stream: LOG_STREAM_TOKEN is set but LOG_STREAM_ID is not/,
    );
  });
});
