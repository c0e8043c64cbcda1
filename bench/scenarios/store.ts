// Checkpoint commits, SQLite against PostgreSQL, through the store's real ports: each commit is the
// runner's (JobStore.checkpoints.commit of a 100-event page, fenced by the job's claimed lease),
// one job committing page after page, and 20 jobs doing so at once, as 20 tenants of one process
// do. Commits/s and p50/p99 latency of a commit. Runs in this process, with nothing else running;
// each PostgreSQL run in a schema of its own, dropped at the end.

import { randomBytes } from "node:crypto";
import pg from "pg";
import { logId } from "../../simulator/events.ts";
import type { Store } from "../../src/interfaces.ts";
import { holderFor, JobLease, LEASE_TTL_MS, REPLICA_LEASE_TTL_MS } from "../../src/runner/lease.ts";
import { openStore } from "../../src/store/open.ts";
import { median, percentile, tempDir } from "../measure.ts";
import type { ScenarioOptions } from "../world.ts";

export const name = "store";

/** Jobs committing at once: the tenants scenario's count. */
const JOBS = 20;
const PAGE = 100;
const DATABASE = process.env.A2L_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

interface Phase {
  commits: number;
  commitsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** One job as the runner holds it: its lease, a run, and the page it committed last. */
async function holdJob(store: Store, id: string) {
  const job = store.forJob(id);
  const ttl = store.kind === "postgres" ? REPLICA_LEASE_TTL_MS : LEASE_TTL_MS;
  const lease = await JobLease.claim(job, holderFor("bench"), ttl);
  const base = Date.now() - 86_400_000;
  let page = 0;
  const first = logId(0, base);
  await job.checkpoints.set(first, { kind: "initial", lookbackMs: 86_400_000 });
  const runId = await job.runs.start("schedule", first, lease.fence);
  return {
    /** Commits the next page: the checkpoint moves to its last event, as after a delivery. */
    async commit(): Promise<void> {
      const expected = page === 0 ? first : logId(page * PAGE - 1, base);
      page++;
      await job.checkpoints.commit(
        runId,
        expected,
        {
          checkpoint: logId(page * PAGE - 1, base),
          counts: { read: PAGE, sent: PAGE, filtered: 0, streamed: 0, rejected: 0, batches: 1 },
          deadLetters: [],
          sink: "Logstash http://127.0.0.1:8080/",
        },
        lease.fence,
      );
    },
    async finish(): Promise<void> {
      await job.runs.finish(runId, { outcome: "success", retries: 0, warnings: [], error: null });
      await lease.release();
    },
  };
}

type HeldJob = Awaited<ReturnType<typeof holdJob>>;

/** Every job commits page after page, each waiting for its last commit, until `ms` have passed. */
async function commitFor(jobs: HeldJob[], ms: number): Promise<Phase> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    jobs.map(async (held) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await held.commit();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    commits: latencies.length,
    commitsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** One job alone, then JOBS at once, each phase after a warm-up that is not counted. */
async function measureStore(store: Store, ms: number) {
  const one = await holdJob(store, "sequential");
  for (let i = 0; i < 200; i++) await one.commit();
  const sequential = await commitFor([one], ms);
  await one.finish();
  const many = await Promise.all(
    Array.from({ length: JOBS }, (_, i) => holdJob(store, `job-${i + 1}`)),
  );
  await commitFor(many, Math.min(ms, 500));
  const concurrent = await commitFor(many, ms);
  await Promise.all(many.map((held) => held.finish()));
  return { sequential, concurrent };
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** PostgreSQL in a fresh schema, dropped afterwards, whatever happens. */
async function onPostgres<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const schema = `a2l_bench_${randomBytes(6).toString("hex")}`;
  const url = new URL(DATABASE);
  url.searchParams.set("schema", schema);
  try {
    const store = await openStore(url.toString());
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  } finally {
    await admin((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
}

async function onSqlite<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(`sqlite:${tempDir()}/state.sqlite`);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

const medianPhase = (phases: Phase[]): Phase => ({
  commits: median(phases.map((p) => p.commits)),
  commitsPerSecond: median(phases.map((p) => p.commitsPerSecond)),
  p50Ms: median(phases.map((p) => p.p50Ms)),
  p99Ms: median(phases.map((p) => p.p99Ms)),
});

export async function run({ quick, repeat, log }: ScenarioOptions): Promise<unknown> {
  const ms = quick ? 1_000 : 3_000;
  const reachable = await admin(async () => null).catch((error: Error) => error.message);
  const kinds = [
    { kind: "sqlite", open: onSqlite },
    ...(reachable === null ? [{ kind: "postgres", open: onPostgres }] : []),
  ];
  if (reachable !== null) log(`store: PostgreSQL skipped, ${DATABASE} unreachable: ${reachable}`);
  const rows: Record<string, unknown>[] = [];
  for (const { kind, open } of kinds) {
    const runs: { sequential: Phase; concurrent: Phase }[] = [];
    let poolSize: number | null = null;
    for (let i = 0; i < repeat; i++) {
      runs.push(
        await open(async (store) => {
          // The pool PostgresStore made for itself: its size bounds the commits in flight at once.
          const pools = Reflect.get(store, "pools") as { current: pg.Pool } | undefined;
          poolSize = pools?.current.options.max ?? null;
          return measureStore(store, ms);
        }),
      );
      const last = runs.at(-1);
      log(
        `store ${kind} ${i + 1}/${repeat}: 1 job ${last?.sequential.commitsPerSecond.toFixed(0)}/s, ${JOBS} jobs ${last?.concurrent.commitsPerSecond.toFixed(0)}/s`,
      );
    }
    rows.push({
      store: kind,
      poolSize,
      sequential: medianPhase(runs.map((r) => r.sequential)),
      concurrent: medianPhase(runs.map((r) => r.concurrent)),
    });
  }
  return {
    jobs: JOBS,
    eventsPerCommit: PAGE,
    secondsPerPhase: ms / 1000,
    postgresSkipped: reachable,
    stores: rows,
  };
}
