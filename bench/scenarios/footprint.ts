// What the service costs to install, start and keep running, measured on what ships: the npm
// package packed and installed into a prefix of its own with production dependencies only (as
// `npm install -g`, and the container image, install it), run by Node 24 with the environment the
// image, the systemd unit and the checkout's launcher give it (NODE_OPTIONS, MALLOC_MMAP_THRESHOLD_).
// - size: the tarball, and the installed prefix on disk (du), with its package count;
// - cold start: from spawning `run` to its first /readyz answered 200 (the store open, the
//   dashboard listening), median of `repeat`;
// - idle: `run` with the dashboard and metrics, a 5 000-event backlog drained by its first
//   execution, then an execution every 10 s with nothing new: RSS (and how much of it is pages of
//   the node binary and other files rather than the process's own memory) at ready, after the
//   drain, and at the end of the window (the median of its last 10 s);
// - draining: `run` (TAIL=true) draining 200 000 events: events/s and RSS sampled every 100 ms (peak, median).
// RSS is read from /proc/<pid>/smaps_rollup, so the bench adds nothing to the measured process.
// The image's own size needs a container runtime, which the bench machine lacks: docs say so.

import { execFile, spawn } from "node:child_process";
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { request } from "undici";
import { median, tempDir } from "../measure.ts";
import { exporterEnv, logstashSink, type ScenarioOptions, world } from "../world.ts";

export const name = "footprint";

const exec = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;
const NODE_24 = join(ROOT, "node_modules/node/bin/node");

/** The environment the image sets (Dockerfile), less HTTP_HOST: the bench stays on loopback. */
export const IMAGE_ENV = {
  NODE_OPTIONS: "--max-semi-space-size=4 --max-old-space-size=256",
  MALLOC_MMAP_THRESHOLD_: "1048576",
};

export interface Rss {
  rssMb: number;
  /** The process's own pages (heap, stacks, V8's spaces). */
  anonymousMb: number;
  /** Pages of mapped files: mostly the node binary's code, shared with every node on the host. */
  fileMb: number;
}

export function rssOf(pid: number): Rss {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  const rss = kb("Rss");
  const anonymous = kb("Anonymous");
  return { rssMb: rss / 1024, anonymousMb: anonymous / 1024, fileMb: (rss - anonymous) / 1024 };
}

async function npm(args: string[], cwd: string) {
  return exec("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    env: { ...process.env, npm_config_update_notifier: "false" },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * Packs the checkout and installs the tarball as the image does (scripts/install-package.sh:
 * production dependencies at the versions of its npm-shrinkwrap.json, as `npm install -g` from
 * the registry gets them).
 */
export async function installPackage() {
  const packed = tempDir();
  const { stdout } = await npm(["pack", "--pack-destination", packed], ROOT);
  const tarball = join(packed, stdout.trim().split("\n").at(-1) as string);
  const prefix = tempDir();
  await exec("sh", [join(ROOT, "scripts/install-package.sh"), tarball, prefix], {
    env: { ...process.env, npm_config_update_notifier: "false" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const du = async (path: string) =>
    Number((await exec("du", ["-sk", path])).stdout.split("\t")[0]) / 1024;
  const home = join(prefix, "lib/node_modules/auth0-logs-to-logstash");
  const { stdout: list } = await exec("find", [
    home,
    "-name",
    "package.json",
    "-not",
    "-path",
    "*/dist/*",
  ]);
  return {
    bin: join(prefix, "bin/auth0-logs-to-logstash"),
    tarballKb: (await du(tarball)) * 1024,
    installedMb: await du(prefix),
    packageMb: await du(join(home, "dist")),
    /** package.json files installed (ours, its production dependencies', and their subpaths'). */
    packages: list.trim().split("\n").length,
  };
}

/** A PATH whose `node` is Node 24, ahead of the system's. */
function pathWithNode24(): string {
  const dir = tempDir();
  symlinkSync(NODE_24, join(dir, "node"));
  return `${dir}:${process.env.PATH ?? ""}`;
}

/** Starts the installed `run`; resolves once /readyz answers 200, with the time it took. */
export async function startRun(bin: string, env: Record<string, string>) {
  const started = performance.now();
  const child = spawn(bin, ["run"], {
    cwd: tempDir(),
    env: { PATH: pathWithNode24(), ...IMAGE_ENV, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  let exited = false;
  const closed = new Promise<void>((resolve) =>
    child.on("close", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    await closed;
  };
  try {
    for (;;) {
      if (exited) throw new Error(`footprint: run exited: ${stderr.slice(-500)}`);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1];
      if (url) {
        const answer = await request(`${url}/readyz`).catch(() => null);
        await answer?.body.dump();
        if (answer?.statusCode === 200)
          return {
            pid: child.pid as number,
            url,
            spawnedAt: started,
            readyMs: performance.now() - started,
            stop,
          };
      }
      await sleep(5);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

const serviceEnv = (
  tenantUrl: string,
  logstashUrl: string,
  extra: Record<string, string> = {},
) => ({
  ...exporterEnv(tenantUrl, logstashSink(logstashUrl)),
  HTTP_HOST: "127.0.0.1",
  HTTP_PORT: "0",
  DASHBOARD_PASSWORD: "bench-dashboard-passphrase",
  EXPORTER_LOG_LEVEL: "info",
  ...extra,
});

async function until(condition: () => boolean, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`footprint: timed out waiting for ${what}`);
    await sleep(20);
  }
}

const round = (rss: Rss): Rss => ({
  rssMb: Math.round(rss.rssMb * 10) / 10,
  anonymousMb: Math.round(rss.anonymousMb * 10) / 10,
  fileMb: Math.round(rss.fileMb * 10) / 10,
});

function medianRss(samples: Rss[]): Rss {
  return round({
    rssMb: median(samples.map((s) => s.rssMb)),
    anonymousMb: median(samples.map((s) => s.anonymousMb)),
    fileMb: median(samples.map((s) => s.fileMb)),
  });
}

export async function coldStart(bin: string, repeat: number) {
  const times: number[] = [];
  const w = await world(0);
  try {
    for (let i = 0; i < repeat + 1; i++) {
      const service = await startRun(bin, serviceEnv(w.tenant.url, w.logstash.url));
      // The first start fills Node's compile cache: not what later starts cost.
      if (i > 0) times.push(service.readyMs);
      await service.stop();
    }
  } finally {
    await w.close();
  }
  return { medianMs: Math.round(median(times)), runs: times.map(Math.round) };
}

export async function idle(bin: string, seconds: number) {
  const backlog = 5_000;
  const w = await world(backlog);
  try {
    const service = await startRun(
      bin,
      serviceEnv(w.tenant.url, w.logstash.url, { SCHEDULE: "10s" }),
    );
    try {
      const atReady = round(rssOf(service.pid));
      await until(() => w.logstash.eventCount >= backlog, "the first drain");
      const afterDrain = round(rssOf(service.pid));
      const samples: Rss[] = [];
      const started = Date.now();
      while (Date.now() - started < seconds * 1000) {
        await sleep(1000);
        if (Date.now() - started >= (seconds - 10) * 1000) samples.push(rssOf(service.pid));
      }
      const executions = w.tenant.stats.logRequests;
      return {
        backlog,
        seconds,
        atReady,
        afterDrain,
        atEnd: medianRss(samples),
        logRequests: executions,
      };
    } finally {
      await service.stop();
    }
  } finally {
    await w.close();
  }
}

export async function draining(bin: string, events: number) {
  const w = await world(events);
  try {
    const service = await startRun(
      bin,
      serviceEnv(w.tenant.url, w.logstash.url, {
        // TAIL starts the first execution at once (an interval schedule's first tick is one
        // interval after the start); the schedule never fires within the drain.
        TAIL: "true",
        SCHEDULE: "1h",
      }),
    );
    try {
      const samples: Rss[] = [];
      while (w.logstash.eventCount < events) {
        samples.push(rssOf(service.pid));
        await sleep(100);
      }
      // From the spawn: the start is part of what a drain costs, as in the drain scenario.
      const seconds = (performance.now() - service.spawnedAt) / 1000;
      return {
        events,
        eventsPerSecond: Math.round(events / seconds),
        peak: round(samples.reduce((a, b) => (b.rssMb > a.rssMb ? b : a))),
        median: medianRss(samples),
      };
    } finally {
      await service.stop();
    }
  } finally {
    await w.close();
  }
}

export async function run({ quick, repeat, log }: ScenarioOptions): Promise<unknown> {
  const installed = await installPackage();
  log(
    `footprint: tarball ${Math.round(installed.tarballKb)} kB, installed ${installed.installedMb.toFixed(1)} MB (${installed.packages} package.json files)`,
  );
  const start = await coldStart(installed.bin, quick ? 2 : 5);
  log(`footprint: cold start to ready ${start.medianMs} ms`);
  const idles: Awaited<ReturnType<typeof idle>>[] = [];
  for (let i = 0; i < repeat; i++) idles.push(await idle(installed.bin, quick ? 20 : 60));
  const pick = (f: (r: (typeof idles)[number]) => Rss) => medianRss(idles.map(f));
  const idleResult = {
    seconds: idles[0]?.seconds,
    atReady: pick((r) => r.atReady),
    afterDrain: pick((r) => r.afterDrain),
    atEnd: pick((r) => r.atEnd),
    runs: idles,
  };
  log(
    `footprint: idle RSS ${idleResult.atEnd.rssMb} MB (${idleResult.atEnd.fileMb} MB of it file pages)`,
  );
  const drains: Awaited<ReturnType<typeof draining>>[] = [];
  for (let i = 0; i < repeat; i++)
    drains.push(await draining(installed.bin, quick ? 50_000 : 200_000));
  const drainResult = {
    events: drains[0]?.events,
    eventsPerSecond: median(drains.map((d) => d.eventsPerSecond)),
    peak: medianRss(drains.map((d) => d.peak)),
    median: medianRss(drains.map((d) => d.median)),
    runs: drains,
  };
  log(
    `footprint: draining ${drainResult.eventsPerSecond}/s, peak RSS ${drainResult.peak.rssMb} MB`,
  );
  return {
    tarballKb: Math.round(installed.tarballKb),
    installedMb: Math.round(installed.installedMb * 10) / 10,
    packageMb: Math.round(installed.packageMb * 10) / 10,
    packages: installed.packages,
    coldStart: start,
    idle: idleResult,
    draining: drainResult,
  };
}
