// npm run demo: the whole product on loopback with no Auth0 account. A simulated tenant with a
// live stream of realistic events, the Logstash fake, and the service with its dashboard.
// npm run demo -- --elasticsearch (or --opensearch): the same into a fake cluster instead, with
// events whose details vary in type, so that the index template and dead letters can be seen.
// npm run demo -- --opensearch-url URL: the same into a real OpenSearch (scripts/search-node start
// prints one's URL).

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { clusterSink, exporterEnv, logstashSink } from "../simulator/exporter-env.ts";
import { startLogstash } from "../simulator/logstash.ts";
import { startSearch } from "../simulator/search/index.ts";
import { startTenant } from "../simulator/tenant.ts";

const USAGE = `Usage: npm run demo [-- --elasticsearch | --opensearch | --opensearch-url URL]

Runs the whole product on loopback with no Auth0 account: a simulated tenant (5 000 events,
3 new per second, rate-limited like an Essentials plan), a sink fake, and the service with its
dashboard. Stop it with Ctrl-C.

Options:
  --elasticsearch    write into a fake Elasticsearch 8 cluster instead of the Logstash fake
  --opensearch       write into a fake OpenSearch 2 cluster instead of the Logstash fake
  --opensearch-url URL
                     write into a real OpenSearch (or Elasticsearch) cluster at URL, such as the
                     node scripts/search-node start prints
  -h, --help         show this help

Environment: HTTP_PORT (default 3000) is the dashboard's port.`;

/** Bad arguments: a line saying what is wrong and the usage, exit 2, never a stack trace. */
function usageError(message: string): never {
  process.stderr.write(`demo: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let flags: {
  elasticsearch?: boolean;
  opensearch?: boolean;
  "opensearch-url"?: string;
  help?: boolean;
};
try {
  flags = parseArgs({
    options: {
      elasticsearch: { type: "boolean" },
      opensearch: { type: "boolean" },
      "opensearch-url": { type: "string" },
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
    TAIL: "true",
    TAIL_INTERVAL: "5s",
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
  Press Ctrl-C to stop.

`);
const stop = () => {
  service.kill("SIGTERM");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
service.on("exit", async (code) => {
  await tenant.close();
  await logstash.close();
  await search?.close();
  process.exit(code ?? 0);
});
