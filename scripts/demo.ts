// npm run demo: the whole product on loopback with no Auth0 account. A simulated tenant with a
// live stream of realistic events, the Logstash fake, and the service with its dashboard.
// npm run demo -- --elasticsearch (or --opensearch): the same into a fake cluster instead, with
// events whose details vary in type, so that the index template and dead letters can be seen.
// npm run demo -- --opensearch-url URL: the same into a real OpenSearch (scripts/search-node start
// prints one's URL).
// npm run demo -- --stream: the tenant also pushes like an Auth0 Log Stream to the service's intake,
// dropping a few batches that the sweep (the checkpoint pull) fills: events by path on the dashboard.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { clusterSink, exporterEnv, logstashSink } from "../simulator/exporter-env.ts";
import { startLogstash } from "../simulator/logstash.ts";
import { freePort } from "../simulator/loopback.ts";
import { startSearch } from "../simulator/search/index.ts";
import { StreamPusher } from "../simulator/stream.ts";
import { bindStream } from "../simulator/stream-binding.ts";
import { startTenant } from "../simulator/tenant.ts";

const USAGE = `Usage: npm run demo [-- --elasticsearch | --opensearch | --opensearch-url URL] [--stream]

Runs the whole product on loopback with no Auth0 account: a simulated tenant (5 000 events,
3 new per second, rate-limited like an Essentials plan), a sink fake, and the service with its
dashboard. Stop it with Ctrl-C.

Options:
  --elasticsearch    write into a fake Elasticsearch 8 cluster instead of the Logstash fake
  --opensearch       write into a fake OpenSearch 2 cluster instead of the Logstash fake
  --opensearch-url URL
                     write into a real OpenSearch (or Elasticsearch) cluster at URL, such as the
                     node scripts/search-node start prints
  --stream           the tenant also pushes its new events like an Auth0 Log Stream (JSON lines,
                     shuffled, 5 % of batches never sent, 2 % sent twice) to the service's intake,
                     and the sweep (the checkpoint pull, every 30 s) fills what it left: events by
                     path (stream, sweep) on the dashboard, each event once in the sink
  -h, --help         show this help

Environment: HTTP_PORT (default 3000) is the dashboard's port; with --stream, INTAKE_PORT (default
a free one) is the intake's.`;

/** Bad arguments: a line saying what is wrong and the usage, exit 2, never a stack trace. */
function usageError(message: string): never {
  process.stderr.write(`demo: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let flags: {
  elasticsearch?: boolean;
  opensearch?: boolean;
  "opensearch-url"?: string;
  stream?: boolean;
  help?: boolean;
};
try {
  flags = parseArgs({
    options: {
      elasticsearch: { type: "boolean" },
      opensearch: { type: "boolean" },
      "opensearch-url": { type: "string" },
      stream: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (error) {
  usageError((error as Error).message);
}
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (flags.elasticsearch && flags.opensearch) {
  usageError("--elasticsearch and --opensearch: choose one");
}
const clusterUrl = flags["opensearch-url"];
if (clusterUrl !== undefined) {
  if (flags.elasticsearch || flags.opensearch) {
    usageError(
      "--opensearch-url writes into a real cluster: leave out --elasticsearch and --opensearch",
    );
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(clusterUrl);
  } catch {}
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    usageError(
      `--opensearch-url: must be an http(s) URL, such as http://127.0.0.1:9200, not ${JSON.stringify(clusterUrl)}`,
    );
  }
}
const product =
  flags.opensearch || clusterUrl !== undefined
    ? "opensearch"
    : flags.elasticsearch
      ? "elasticsearch"
      : null;
const port = process.env.HTTP_PORT ?? "3000";
if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) {
  usageError(`HTTP_PORT: must be a port number from 0 to 65535, not ${JSON.stringify(port)}`);
}
const intakeSetting = process.env.INTAKE_PORT;
if (flags.stream && intakeSetting !== undefined) {
  if (!/^\d{1,5}$/.test(intakeSetting) || Number(intakeSetting) > 65_535) {
    usageError(
      `INTAKE_PORT: must be a port number from 0 to 65535 (0 picks a free one), not ${JSON.stringify(intakeSetting)}`,
    );
  }
  if (intakeSetting === port && port !== "0") {
    usageError("INTAKE_PORT and HTTP_PORT: the intake is a second listener, give it its own port");
  }
}
const password = `demo-${randomBytes(9).toString("base64url")}`;
const tenant = await startTenant({
  backlog: 5000,
  backlogSpanMs: 6 * 3_600_000,
  rateLimit: { burst: 10, perSecond: 100 / 60 },
  name: "demo",
  variedDetails: product !== null,
});
tenant.startStream(3);
const logstash = await startLogstash({ keepEvents: false, delayMs: 20 });
const search =
  product && clusterUrl === undefined ? await startSearch({ product, keepDocuments: false }) : null;
const cluster = clusterUrl ?? search?.url;
const sink = cluster ? clusterSink(cluster) : logstashSink(logstash.url, "auth0-demo");
const dir = mkdtempSync(join(tmpdir(), "a2l-demo-"));
// The stream: a token only this run knows, the intake on its own port, and a pusher that keeps
// retrying (and records errors in its health) until the service's intake is up.
const intakePort =
  flags.stream && intakeSetting !== undefined && intakeSetting !== "0"
    ? Number(intakeSetting)
    : await freePort();
const streamToken = `Bearer ${randomBytes(24).toString("base64url")}`;
const pusher = flags.stream
  ? new StreamPusher(tenant.log, {
      url: `http://127.0.0.1:${intakePort}/log-stream`,
      authorization: streamToken,
      format: "JSONLINES",
      flushMs: 1_000,
      shuffle: true,
      dropRate: 0.05,
      redeliverRate: 0.02,
      redriveMs: 2_000,
      seed: 19,
    })
  : null;
// The stream as the tenant's Management API knows it (its lst_ id, its status): the sweep reads its
// health each time, and resuming it there (LOG_STREAM_RESUME, or a PATCH) resumes the pusher.
const apiStream = pusher
  ? tenant.logStreams.create({
      name: "auth0-logs-to-logstash",
      sink: {
        httpEndpoint: `http://127.0.0.1:${intakePort}/log-stream`,
        httpContentType: "application/json",
        httpContentFormat: "JSONLINES",
        httpAuthorization: streamToken,
      },
    })
  : null;
if (apiStream && pusher) bindStream(apiStream, pusher);
const streamEnv: Record<string, string> = pusher
  ? {
      LOG_STREAM_TOKEN: streamToken,
      LOG_STREAM_ID: apiStream?.id ?? "",
      LOG_STREAM_RESUME: "true",
      INTAKE_HOST: "127.0.0.1",
      INTAKE_PORT: String(intakePort),
      LOG_STREAM_SWEEP_DELAY: "30s",
      // With a stream, TAIL only spends the rate limit: the sweep on SCHEDULE fills the gaps.
      TAIL: "false",
      SCHEDULE: "30s",
    }
  : { TAIL: "true", TAIL_INTERVAL: "5s" };
const service = spawn(new URL("../bin/auth0-logs-to-logstash", import.meta.url).pathname, ["run"], {
  env: {
    ...process.env,
    ...exporterEnv(
      {
        tenant: tenant.url,
        sink,
        databaseUrl: `sqlite:${join(dir, "state.sqlite")}`,
        lookback: "7h",
        retention: "1d",
      },
      { SCHEDULE: "1m" },
    ),
    ...streamEnv,
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: port,
    DASHBOARD_PASSWORD: password,
  },
  stdio: ["ignore", "ignore", "inherit"],
});
process.stdout.write(`
auth0-logs-to-logstash demo (simulated tenant, rate-limited like an Essentials plan: 10 + 100/min)

  Dashboard:  http://127.0.0.1:${port}/
  User:       admin
  Password:   ${password}

  Tenant simulator ${tenant.url} (5 000 events, 3 new per second), ${cluster ? `${clusterUrl ? "the cluster" : product === "opensearch" ? "OpenSearch fake" : "Elasticsearch fake"} ${cluster} (ECS documents into logs-auth0.export-default)` : `Logstash fake ${logstash.url}`}
${
  pusher
    ? `  Log Stream  pushing JSON lines to http://127.0.0.1:${intakePort}/log-stream (shuffled, 5 % of
              batches never sent, 2 % sent twice); the sweep every 30 s fills the gaps.
              The dashboard shows events by path: by stream, and filled by the sweep.
`
    : ""
}  Press Ctrl-C to stop.

`);
// The stream's own figures, since the pusher is the demo's and not the service's.
const report = pusher
  ? setInterval(() => {
      const { sentEvents, sentBatches, dropped, redelivered, errored, lastError } = pusher.counters;
      const problem = lastError
        ? `; ${errored} batches errored, retried until the intake answers 2xx (last: ${lastError.message.slice(0, 80)})`
        : "";
      process.stdout.write(
        `stream: ${sentEvents} events in ${sentBatches} requests, ${dropped} batches never sent (the sweep fills them), ${redelivered} sent twice, ${pusher.backlog} waiting${problem}\n`,
      );
    }, 30_000)
  : null;
const stop = () => {
  if (report) clearInterval(report);
  void pusher?.stop();
  service.kill("SIGTERM");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
service.on("exit", async (code) => {
  if (report) clearInterval(report);
  await pusher?.stop();
  await tenant.close();
  await logstash.close();
  await search?.close();
  process.exit(code ?? 0);
});
