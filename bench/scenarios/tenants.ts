// Many tenants in one exporter process, held as `run` holds them: a tenants file (CONFIG_FILE), one
// supervisor, one runner per tenant. Each tenant has its own simulated Auth0 tenant, with the
// Essentials bucket, and its own Logstash fake, and a backlog it cannot drain within the window, so
// that it is rate-limited throughout. Per tenant: the share of its own bucket's allowance it used;
// in all: events/s delivered, CPU per tenant-minute over the window (the service's /metrics), and
// peak RSS, also of one tenant alone to tell the base from what each tenant adds. One run.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { SIMULATED_CLIENT } from "../../simulator/tenant.ts";
import { measure, median, tempDir } from "../measure.ts";
import { type ScenarioOptions, type World, world } from "../world.ts";
import { ESSENTIALS } from "./ratelimit.ts";

export const name = "tenants";

/** The share of its allowance each tenant must keep. */
const TARGET = 0.95;

interface TenantRow {
  id: string;
  requests: number;
  rateLimited: number;
  /** From the tenant's first read to the end of the window. */
  seconds: number;
  shareOfAllowance: number;
  eventsPerSecond: number;
}

/** Waits until `probe` answers; throws when `failed` says it never will, or after `timeoutMs`. */
async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  failed: () => string | null,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const failure = failed() ?? (Date.now() > deadline ? "timed out" : null);
    if (failure) throw new Error(`tenants: ${failure}`);
    await sleep(50);
  }
}

/** The service's CPU time so far and RSS now (prom-client's process metrics), and when read. */
async function processMetrics(url: string): Promise<{ at: number; cpu: number; rssMb: number }> {
  const answer = await request(`${url}/metrics`);
  const text = await answer.body.text();
  const cpu = /^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1];
  const rss = /^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1];
  if (answer.statusCode !== 200 || cpu === undefined || rss === undefined)
    throw new Error(`tenants: /metrics answered ${answer.statusCode} without CPU time and RSS`);
  return { at: Date.now(), cpu: Number(cpu), rssMb: Number(rss) / 2 ** 20 };
}

/** The tenants file: process settings and shared defaults at the top, each tenant's own below. */
function tenantsFile(ids: string[], worlds: World[], dir: string): string {
  const line = (key: string, value: string) => `${key}: ${JSON.stringify(value)}`;
  return [
    line("DATABASE_URL", `sqlite:${dir}/state.sqlite`),
    line("HTTP_HOST", "127.0.0.1"),
    line("HTTP_PORT", "0"),
    line("DASHBOARD_PASSWORD", "bench-dashboard-passphrase"),
    // Info says the listener's address; nothing is logged per page at this level.
    line("EXPORTER_LOG_LEVEL", "info"),
    // TAIL starts each tenant's first execution at once; the schedule never fires in the window.
    line("TAIL", "true"),
    line("SCHEDULE", "1h"),
    line("INITIAL_LOOKBACK", "7d"),
    line("AUTH0_LOG_RETENTION", "30d"),
    line("AUTH0_CLIENT_ID", SIMULATED_CLIENT.id),
    line("AUTH0_CLIENT_SECRET", SIMULATED_CLIENT.secret),
    // This scenario measures the pacing of many tenants at once against the whole allowance
    // (target 95 %); the share is the ratelimit scenario's matter.
    line("AUTH0_RATE_LIMIT_SHARE", "100%"),
    "tenants:",
    ...ids.flatMap((id, i) => {
      const w = worlds[i] as World;
      return [
        `  ${id}:`,
        `    ${line("AUTH0_DOMAIN", w.tenant.url)}`,
        `    ${line("LOGSTASH_URL", w.logstash.url)}`,
        `    ${line("LOGSTASH_INDEX", `bench-${id}`)}`,
      ];
    }),
    "",
  ].join("\n");
}

/** `run` holding `count` tenants for `seconds` once every one of them has started reading. */
async function holdTenants(count: number, seconds: number) {
  // Enough pages that no tenant catches up, counting the start of the others before the window.
  const pages = Math.ceil(ESSENTIALS.burst + ESSENTIALS.perSecond * (seconds + 30));
  const worlds: World[] = [];
  for (let i = 0; i < count; i++) {
    worlds.push(
      await world(pages * 100, { burst: ESSENTIALS.burst, perSecond: ESSENTIALS.perSecond }),
    );
  }
  const ids = worlds.map((_, i) => `t${String(i + 1).padStart(2, "0")}`);
  const dir = tempDir();
  const file = join(dir, "tenants.yaml");
  writeFileSync(file, tenantsFile(ids, worlds, dir));
  let stderr = "";
  let kill: (signal: NodeJS.Signals) => void = () => {};
  let ended = false;
  const exited = measure(
    "bin",
    ["run"],
    { CONFIG_FILE: file },
    { onStart: (k) => (kill = k), onStderr: (chunk) => (stderr += chunk) },
  ).finally(() => (ended = true));
  try {
    const failed = () => (ended ? `run exited: ${stderr.slice(-500)}` : null);
    const url = await until(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1], failed);
    await until(
      () => (worlds.every((w) => w.tenant.stats.logRequests > 0) ? true : undefined),
      failed,
    );
    const delivered = () => worlds.reduce((sum, w) => sum + w.logstash.eventCount, 0);
    const before = { ...(await processMetrics(url)), events: delivered() };
    await sleep(seconds * 1000);
    // The end of the window: every tenant's figures taken at this one instant.
    const end = Date.now();
    const tenants: TenantRow[] = worlds.map((w, i) => {
      const { logRequestTimes: times, rateLimited } = w.tenant.stats;
      const tenantSeconds = (end - (times[0] as number)) / 1000;
      if (w.logstash.eventCount >= w.tenant.log.size)
        throw new Error(`tenants: ${ids[i]} caught up within the window: its backlog is too small`);
      // The most the bucket could have granted by the end: its burst at the first read (time 0),
      // then one read per refill interval, in whole reads.
      const allowed = Math.floor(ESSENTIALS.burst + ESSENTIALS.perSecond * tenantSeconds);
      return {
        id: ids[i] as string,
        requests: times.length,
        rateLimited,
        seconds: tenantSeconds,
        shareOfAllowance: Math.min(1, (times.length - rateLimited) / allowed),
        eventsPerSecond: Math.round(w.logstash.eventCount / tenantSeconds),
      };
    });
    const events = delivered() - before.events;
    const after = await processMetrics(url);
    kill("SIGTERM");
    const run = await exited;
    if (run.code !== 0)
      throw new Error(`tenants: run exited ${run.code}: ${run.stderr.slice(-500)}`);
    let duplicates = 0;
    for (const w of worlds) for (const n of w.logstash.idCounts().values()) duplicates += n - 1;
    const windowMinutes = (after.at - before.at) / 60_000;
    return {
      tenants,
      events,
      eventsPerSecond: Math.round(events / ((end - before.at) / 1000)),
      cpuSecondsPerTenantMinute: (after.cpu - before.cpu) / (count * windowMinutes),
      peakRssMb: run.maxRssMb,
      rssAtEndMb: after.rssMb,
      duplicates,
    };
  } finally {
    // On a failure above: the service must not outlive the bench (it then leaves no usage figures).
    if (!ended) kill("SIGKILL");
    await exited.catch(() => {});
    for (const w of worlds) await w.close();
  }
}

export async function run({ quick, log }: ScenarioOptions): Promise<unknown> {
  const count = quick ? 5 : 20;
  const seconds = quick ? 20 : 60;
  // One tenant alone first: the process's base memory, to tell it from what each tenant adds.
  const alone = await holdTenants(1, quick ? 5 : 15);
  log(`tenants: 1 alone, peak RSS ${alone.peakRssMb.toFixed(0)} MB`);
  const held = await holdTenants(count, seconds);
  const shares = held.tenants.map((t) => t.shareOfAllowance);
  const below = held.tenants.filter((t) => t.shareOfAllowance < TARGET);
  const result = {
    plan: ESSENTIALS.plan,
    tenants: count,
    windowSeconds: seconds,
    eventsPerSecond: held.eventsPerSecond,
    minShareOfAllowance: Math.min(...shares),
    medianShareOfAllowance: median(shares),
    /** Tenants under the target, by id: every tenant must keep it. */
    belowTarget: below.map((t) => ({ id: t.id, shareOfAllowance: t.shareOfAllowance })),
    rateLimited: held.tenants.reduce((sum, t) => sum + t.rateLimited, 0),
    requests: held.tenants.reduce((sum, t) => sum + t.requests, 0),
    duplicates: held.duplicates,
    cpuSecondsPerTenantMinute: held.cpuSecondsPerTenantMinute,
    peakRssMb: Math.round(held.peakRssMb),
    peakRssMbPerTenant: held.peakRssMb / count,
    aloneWindowSeconds: quick ? 5 : 15,
    alonePeakRssMb: Math.round(alone.peakRssMb),
    addedRssMbPerTenant: (held.peakRssMb - alone.peakRssMb) / (count - 1),
    /** RSS at the end of the window (not a peak): what the tenants hold while they run. */
    rssAtEndMb: Math.round(held.rssAtEndMb),
    aloneRssAtEndMb: Math.round(alone.rssAtEndMb),
    perTenant: held.tenants,
  };
  log(
    `tenants: ${count} for ${seconds} s, ${result.eventsPerSecond}/s, lowest ${(result.minShareOfAllowance * 100).toFixed(1)}% of allowance (${below.length} below ${TARGET * 100}%), ${result.cpuSecondsPerTenantMinute.toFixed(2)} CPU s per tenant-minute, ${result.peakRssMb} MB`,
  );
  return result;
}
