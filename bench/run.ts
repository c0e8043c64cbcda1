// npm run bench: the exporter against the floor, unthrottled drains, drains under each published
// Auth0 rate-limit plan, tail latency and a slow Logstash. Writes bench/results.json and the
// results table of BENCHMARKS.md. `--quick` runs smaller sizes once (a smoke test of the bench).

import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { request } from "undici";
import { checkpointAt } from "../src/auth0/checkpoint.ts";
import { startLogstash } from "../src/simulator/logstash.ts";
import { type RateLimit, SIMULATED_CLIENT, startTenant } from "../src/simulator/tenant.ts";
import { type Measured, measure, median, percentile, tempDir } from "./measure.ts";

const { values: flags } = parseArgs({
  options: { quick: { type: "boolean" }, only: { type: "string" } },
});
const quick = Boolean(flags.quick);
const REPEAT = quick ? 1 : 3;
const results: Record<string, unknown> = {};
const log = (text: string) => process.stderr.write(`${text}\n`);
const wanted = (name: string) => !flags.only || flags.only.split(",").includes(name);

function exporterEnv(tenantUrl: string, logstashUrl: string, extra: Record<string, string> = {}) {
  return {
    AUTH0_DOMAIN: tenantUrl,
    AUTH0_CLIENT_ID: SIMULATED_CLIENT.id,
    AUTH0_CLIENT_SECRET: SIMULATED_CLIENT.secret,
    LOGSTASH_URL: logstashUrl,
    LOGSTASH_INDEX: "bench",
    DATABASE_URL: `sqlite:${tempDir()}/state.sqlite`,
    INITIAL_LOOKBACK: "7d",
    AUTH0_LOG_RETENTION: "30d",
    EXPORTER_LOG_LEVEL: "warn",
    ...extra,
  };
}

async function world(
  backlog: number,
  rateLimit: RateLimit | null = null,
  delayMs = 0,
  tenantLatencyMs = 0,
) {
  const tenant = await startTenant({
    backlog,
    backlogSpanMs: 6 * 3_600_000,
    rateLimit,
    recordOwnEvents: false,
    latencyMs: tenantLatencyMs,
  });
  const logstash = await startLogstash({ keepEvents: false, delayMs });
  return {
    tenant,
    logstash,
    close: async () => {
      await tenant.close();
      await logstash.close();
    },
  };
}

async function exporterOnce(
  w: Awaited<ReturnType<typeof world>>,
  extra: Record<string, string> = {},
): Promise<Measured> {
  const run = await measure("bin", ["once"], exporterEnv(w.tenant.url, w.logstash.url, extra));
  if (run.code !== 0) throw new Error(`exporter failed: ${run.stderr.slice(-500)}`);
  if (w.logstash.idCounts().size !== w.tenant.log.size) throw new Error("exporter lost events");
  return run;
}

async function floorOnce(w: Awaited<ReturnType<typeof world>>): Promise<Measured> {
  const answer = await request(`${w.tenant.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: SIMULATED_CLIENT.id,
      client_secret: SIMULATED_CLIENT.secret,
      audience: `${w.tenant.url}/api/v2/`,
    }),
  });
  const { access_token: token } = (await answer.body.json()) as { access_token: string };
  const from = checkpointAt(new Date(Date.now() - 7 * 86_400_000));
  const run = await measure("bench/floor.ts", [w.tenant.url, w.logstash.url, from, token]);
  if (run.code !== 0) throw new Error(`floor failed: ${run.stderr.slice(-500)}`);
  return run;
}

const perSecond = (events: number, ms: number) => Math.round((events / ms) * 1000);

if (wanted("floor")) {
  const events = quick ? 20_000 : 100_000;
  const rows: {
    floor: number;
    exporter: number;
    ratio: number;
    cpuPer1000: number;
    floorCpuPer1000: number;
    rss: number;
  }[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const w = await world(events);
    const floor = await floorOnce(w);
    w.logstash.reset();
    const exporter = await exporterOnce(w);
    await w.close();
    rows.push({
      floor: perSecond(events, floor.wallMs),
      exporter: perSecond(events, exporter.wallMs),
      ratio: floor.wallMs / exporter.wallMs,
      cpuPer1000: (exporter.cpuMs / events) * 1000,
      floorCpuPer1000: (floor.cpuMs / events) * 1000,
      rss: exporter.maxRssMb,
    });
    log(
      `floor ${i + 1}/${REPEAT}: floor ${rows.at(-1)?.floor}/s, exporter ${rows.at(-1)?.exporter}/s`,
    );
  }
  results.floor = {
    events,
    floorEventsPerSecond: median(rows.map((r) => r.floor)),
    exporterEventsPerSecond: median(rows.map((r) => r.exporter)),
    ratio: median(rows.map((r) => r.ratio)),
    exporterCpuMsPer1000: median(rows.map((r) => r.cpuPer1000)),
    floorCpuMsPer1000: median(rows.map((r) => r.floorCpuPer1000)),
    runs: rows,
  };
}

if (wanted("drain")) {
  const sizes = quick ? [20_000, 100_000] : [100_000, 1_000_000];
  const drains: Record<string, unknown>[] = [];
  for (const events of sizes) {
    const rows: Measured[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const w = await world(events);
      rows.push(await exporterOnce(w));
      await w.close();
      log(
        `drain ${events} ${i + 1}/${REPEAT}: ${perSecond(events, rows.at(-1)?.wallMs ?? 1)}/s, ${rows.at(-1)?.maxRssMb.toFixed(0)} MB`,
      );
    }
    drains.push({
      events,
      eventsPerSecond: median(rows.map((r) => perSecond(events, r.wallMs))),
      peakRssMb: Math.round(median(rows.map((r) => r.maxRssMb))),
      cpuMsPer1000: median(rows.map((r) => (r.cpuMs / events) * 1000)),
    });
  }
  const [small, large] = drains as { peakRssMb: number }[];
  results.drain = {
    drains,
    rssGrowth: small && large ? large.peakRssMb / small.peakRssMb - 1 : null,
  };
}

if (wanted("ratelimit")) {
  // Published Auth0 figures (contracts.md §3); the pages are sized for about 20 s of refill each.
  const plans = [
    {
      plan: "Essentials/Professional Read Logs (burst 10, 100/min)",
      burst: 10,
      perSecond: 100 / 60,
      pages: quick ? 15 : 45,
    },
    {
      plan: "Enterprise production (burst 50, 16/s)",
      burst: 50,
      perSecond: 16,
      pages: quick ? 100 : 370,
    },
    {
      plan: "Enterprise non-production (burst 10, 2/s)",
      burst: 10,
      perSecond: 2,
      pages: quick ? 20 : 50,
    },
    { plan: "Free (burst 2, 2/s)", burst: 2, perSecond: 2, pages: quick ? 12 : 42 },
  ];
  const rows = [];
  for (const plan of plans) {
    const w = await world(plan.pages * 100 - 1, { burst: plan.burst, perSecond: plan.perSecond });
    await exporterOnce(w);
    const times = w.tenant.stats.logRequestTimes;
    const seconds = ((times.at(-1) as number) - (times[0] as number)) / 1000;
    const granted = w.tenant.stats.logRequests - w.tenant.stats.rateLimited;
    // The bucket allows its burst at once, then its rate; the first request is at time 0.
    const allowed = plan.burst + plan.perSecond * seconds;
    rows.push({
      plan: plan.plan,
      requests: w.tenant.stats.logRequests,
      rateLimited: w.tenant.stats.rateLimited,
      share429: w.tenant.stats.rateLimited / w.tenant.stats.logRequests,
      seconds,
      shareOfAllowance: Math.min(1, granted / allowed),
      eventsPerSecond: Math.round(w.tenant.log.size / seconds),
    });
    await w.close();
    log(
      `rate limit ${plan.plan}: ${(((rows.at(-1)?.shareOfAllowance ?? 0) as number) * 100).toFixed(1)}% of allowance, ${rows.at(-1)?.rateLimited} x 429`,
    );
  }
  results.ratelimit = rows;
}

if (wanted("tail")) {
  const seconds = quick ? 10 : 30;
  const pollMs = 1000;
  const w = await world(0);
  w.tenant.startStream(50);
  const latencies: number[] = [];
  const created: string[] = [];
  const run = measure(
    "bin",
    ["run"],
    exporterEnv(w.tenant.url, w.logstash.url, {
      TAIL: "true",
      TAIL_INTERVAL: `${pollMs}ms`,
      SCHEDULE: "1h",
      HTTP_PORT: "0",
      INITIAL_LOOKBACK: "1s",
    }),
    {
      onStart: (kill) => {
        setTimeout(() => {
          w.tenant.stopStream();
          // Let the last events arrive before stopping.
          setTimeout(() => kill("SIGTERM"), pollMs + 2000);
        }, seconds * 1000);
      },
    },
  );
  await run;
  const ids = w.tenant.eventIds();
  for (const id of ids.slice(Math.floor(ids.length * 0.1))) {
    const made = w.tenant.createdAt(id);
    const arrived = w.logstash.receivedAt(id);
    if (made !== undefined && arrived !== undefined) latencies.push(arrived - made);
    created.push(id);
  }
  results.tail = {
    pollIntervalMs: pollMs,
    events: latencies.length,
    missing: created.filter((id) => w.logstash.receivedAt(id) === undefined).length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
  };
  await w.close();
  log(`tail: p95 ${(results.tail as { p95Ms: number }).p95Ms} ms`);
}

if (wanted("slow")) {
  // Logstash answers after 50 ms, and so does the tenant: in lockstep a page would take 100 ms;
  // with reading overlapping sending, 50 ms.
  const events = quick ? 5_000 : 20_000;
  const delay = 50;
  const rows: { eventsPerSecond: number; sequential: number; overlapped: number; share: number }[] =
    [];
  for (let i = 0; i < REPEAT; i++) {
    const w = await world(events, null, delay, delay);
    const run = await exporterOnce(w);
    const pages = Math.ceil(events / 100);
    rows.push({
      eventsPerSecond: perSecond(events, run.wallMs),
      sequential: perSecond(events, pages * 2 * delay),
      overlapped: perSecond(events, pages * delay),
      share: (pages * delay) / run.wallMs,
    });
    await w.close();
  }
  results.slowLogstash = {
    delayMs: delay,
    events,
    eventsPerSecond: median(rows.map((r) => r.eventsPerSecond)),
    sequentialEventsPerSecond: median(rows.map((r) => r.sequential)),
    overlappedEventsPerSecond: median(rows.map((r) => r.overlapped)),
    shareOfOverlapBound: median(rows.map((r) => r.share)),
  };
}

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  command: `npm run bench${quick ? " -- --quick" : ""}${flags.only ? ` -- --only ${flags.only}` : ""}`,
};
const resultsPath = new URL(quick ? "./results.quick.json" : "./results.json", import.meta.url);
// With --only, the other scenarios keep the figures of their last run.
let previous: Record<string, unknown> = {};
if (flags.only && !quick) {
  try {
    previous = JSON.parse(readFileSync(resultsPath, "utf8")).results ?? {};
  } catch {}
}
const output = { machine, results: { ...previous, ...results } };
writeFileSync(resultsPath, `${JSON.stringify(output, null, 2)}\n`);
if (!quick) {
  const { renderBenchmarks } = await import("./report.ts");
  const path = new URL("../BENCHMARKS.md", import.meta.url);
  const current = readFileSync(path, "utf8");
  writeFileSync(path, renderBenchmarks(current, output));
}
log(JSON.stringify(output, null, 2));
