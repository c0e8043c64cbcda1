// The failover suite's instruments: a replica process it can kill, freeze, thaw and stop, and a
// watch on the leases table that tells who holds which tenant, and when a tenant changed hands.

import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { spawnCli } from "../helpers/cli.ts";

export interface Disruption {
  kind: "kill" | "freeze" | "term";
  at: number;
  pid: number;
  /** The tenants the victim held then, with their epochs. */
  held: [string, number][];
}

export class Replica {
  readonly name: string;
  state: "running" | "frozen" | "dead" = "dead";
  private readonly env: Record<string, string>;
  private readonly dir: string;
  private process: ReturnType<typeof spawnCli> | null = null;
  private current = "";
  private past = "";

  constructor(name: string, env: Record<string, string>, dir: string) {
    this.name = name;
    this.env = env;
    this.dir = dir;
  }

  get pid(): number | undefined {
    return this.process?.child.pid;
  }

  start(): void {
    this.past += this.current;
    this.current = "";
    this.process = spawnCli(["run"], this.env, this.dir);
    this.process.child.stderr.on("data", (chunk) => (this.current += chunk));
    this.state = "running";
  }

  listening(): boolean {
    return this.state === "running" && /"msg":"listening"/.test(this.current);
  }

  async kill(): Promise<void> {
    if (!this.process || this.state === "dead") return;
    this.process.child.kill("SIGKILL");
    await this.process.done;
    this.state = "dead";
  }

  /** SIGTERM (a frozen one is woken first); resolves with the exit code. */
  async term(): Promise<number> {
    if (!this.process || this.state === "dead") return 0;
    if (this.state === "frozen") this.process.child.kill("SIGCONT");
    this.process.child.kill("SIGTERM");
    const result = await this.process.done;
    this.state = "dead";
    return result.code;
  }

  freeze(): void {
    this.process?.child.kill("SIGSTOP");
    this.state = "frozen";
  }

  thaw(): void {
    if (this.state !== "frozen") return;
    this.process?.child.kill("SIGCONT");
    this.state = "running";
  }

  allOutput(): string {
    return this.past + this.current;
  }

  count(pattern: RegExp): number {
    return this.allOutput()
      .split("\n")
      .filter((line) => pattern.test(line)).length;
  }

  tail(): string {
    return this.current.slice(-2000);
  }
}

interface Observation {
  at: number;
  holder: string;
  epoch: number;
  live: boolean;
}

/** The pid in a lease holder's id (`host/pidns:pid:random`). */
const pidOf = (holder: string) => Number(holder.split(":")[1]);

export class LeaseWatch {
  private readonly db: pg.Client;
  private readonly table: string;
  private readonly history = new Map<string, Observation[]>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(db: pg.Client, schema: string) {
    this.db = db;
    this.table = `${schema}.leases`;
  }

  async start(): Promise<void> {
    await this.poll();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await sleep(250);
        await this.poll().catch(() => {});
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async poll(): Promise<void> {
    const at = Date.now();
    const { rows } = await this.db.query<{
      job: string;
      holder: string;
      epoch: string;
      live: boolean;
    }>(`SELECT job, holder, epoch, expires_at > now() AS live FROM ${this.table}`);
    for (const row of rows) {
      const list = this.history.get(row.job) ?? [];
      const last = list.at(-1);
      const epoch = Number(row.epoch);
      if (!last || last.epoch !== epoch || last.live !== row.live || last.holder !== row.holder) {
        list.push({ at, holder: row.holder, epoch, live: row.live });
      }
      this.history.set(row.job, list);
    }
  }

  /** The tenants `pid` holds now (live leases), with their epochs. */
  heldBy(pid: number): Map<string, number> {
    const held = new Map<string, number>();
    for (const [job, list] of this.history) {
      const last = list.at(-1);
      if (last?.live && pidOf(last.holder) === pid) held.set(job, last.epoch);
    }
    return held;
  }

  /** For each tenant a disruption took from its holder: how long until a new epoch held it. */
  takeovers(
    disruptions: Disruption[],
  ): { kind: Disruption["kind"]; job: string; at: number; ms: number | null }[] {
    return disruptions.flatMap((d) =>
      d.held.map(([job, epoch]) => {
        const next = (this.history.get(job) ?? []).find(
          (o) => o.at >= d.at && o.epoch > epoch && o.live,
        );
        return { kind: d.kind, job, at: d.at, ms: next ? next.at - d.at : null };
      }),
    );
  }

  dump(): Record<string, Observation[]> {
    return Object.fromEntries(this.history);
  }

  /** Live leases per holding process, now. */
  spread(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const list of this.history.values()) {
      const last = list.at(-1);
      if (last?.live) counts.set(pidOf(last.holder), (counts.get(pidOf(last.holder)) ?? 0) + 1);
    }
    return counts;
  }
}

/**
 * From the store's own records, per tenant: the holders that started runs, and those that
 * committed, under each epoch. A run keeps the lowest and highest lease epoch the database had at
 * its commits, so a commit that slipped past the fence after a takeover shows up as a second
 * holder under the new epoch. Epochs must never go back in run order either.
 */
export async function epochsFromTheStore(db: pg.Client, schema: string) {
  const check = (rows: { job: string; holder: string; epoch: string }[]) => {
    const holders = new Map<string, Set<string>>();
    const last = new Map<string, number>();
    let backwards = 0;
    for (const row of rows) {
      const key = `${row.job}/${row.epoch}`;
      holders.set(key, (holders.get(key) ?? new Set()).add(row.holder));
      if (Number(row.epoch) < (last.get(row.job) ?? 0)) backwards++;
      last.set(row.job, Math.max(Number(row.epoch), last.get(row.job) ?? 0));
    }
    const shared = [...holders].filter(([, set]) => set.size > 1).map(([key]) => key);
    return { records: rows.length, shared, backwards };
  };
  const query = async (sql: string) =>
    (await db.query<{ job: string; holder: string; epoch: string }>(sql)).rows;
  const stray = await db.query<{ count: string }>(
    `SELECT count(*) AS count FROM ${schema}.runs
     WHERE committed_epoch_low <> epoch OR committed_epoch_high <> epoch`,
  );
  return {
    /** Runs with a commit made while the store's epoch was not the run's own. */
    strayCommits: Number(stray.rows[0]?.count ?? 0),
    runs: check(
      await query(
        `SELECT job, holder, epoch FROM ${schema}.runs WHERE epoch IS NOT NULL ORDER BY id`,
      ),
    ),
    // Each run that committed, under the lowest and the highest epoch its commits saw.
    commits: check(
      await query(
        `SELECT job, holder, epoch FROM (
           SELECT id, job, holder, committed_epoch_low AS epoch, 0 AS side FROM ${schema}.runs
           WHERE committed_epoch_low IS NOT NULL AND holder IS NOT NULL
           UNION ALL
           SELECT id, job, holder, committed_epoch_high, 1 FROM ${schema}.runs
           WHERE committed_epoch_high IS NOT NULL AND holder IS NOT NULL
         ) AS committed ORDER BY id, side`,
      ),
    ),
  };
}
