// The process's jobs and their leases. Every round (a couple of seconds) it heartbeats this
// replica, renews nothing itself (each lease renews on its own timer), and claims the jobs no live
// process holds, up to its share: the jobs divided by the live replicas, rounded up. A replica with
// more than its share hands the surplus over; one that stops hands all of its jobs over at once.
// A job is exported only while its lease is held; a lost lease stops its runner, and the job is
// claimed again only once it is free.

import type { Logger } from "pino";
import type { Config } from "../config/types.ts";
import { describe } from "../errors.ts";
import type { LeaseHolder, Notifier, Store } from "../interfaces.ts";
import type { Metrics } from "../web/metrics.ts";
import { JobRunner } from "./job-runner.ts";
import {
  describeHolder,
  holderFor,
  JobLease,
  LEASE_TTL_MS,
  REPLICA_LEASE_TTL_MS,
  StoreBusyError,
} from "./lease.ts";

type JobConfig = Config & { id: string };

/** How often the supervisor looks at the leases. */
export const ROUND_MS = 2_000;

interface Slot {
  config: JobConfig;
  runner: JobRunner | null;
  lease: JobLease | null;
}

export interface SupervisorDeps {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  runsRetentionMs: number;
  notifierFor(job: JobConfig): Notifier;
}

export class Supervisor {
  readonly replica: LeaseHolder;
  private readonly deps: SupervisorDeps;
  private readonly slots = new Map<string, Slot>();
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(jobs: JobConfig[], deps: SupervisorDeps) {
    this.deps = deps;
    this.replica = holderFor("run");
    this.ttlMs = deps.store.kind === "postgres" ? REPLICA_LEASE_TTL_MS : LEASE_TTL_MS;
    for (const config of jobs) this.slots.set(config.id, { config, runner: null, lease: null });
  }

  /**
   * Takes this process's jobs. With SQLite one process exports a store's jobs: a job another live
   * process holds makes this one refuse to start (StoreBusyError, naming it). Replicas on
   * PostgreSQL share the jobs instead, and start with none held if others hold them all.
   */
  async start(): Promise<void> {
    await this.deps.store.replicas.heartbeat(this.replica, this.ttlMs);
    if (this.deps.store.kind === "sqlite") {
      for (const [id, slot] of this.slots) {
        const claim = await JobLease.tryClaim(this.deps.store.forJob(id), this.replica, this.ttlMs);
        if ("busy" in claim) {
          await this.release();
          const tenant = id === "default" ? "its job" : `tenant ${id}`;
          throw new StoreBusyError(
            `the store is in use by ${describeHolder(claim.busy)}, which exports ${tenant}; stop it first`,
          );
        }
        await this.begin(slot, claim);
      }
    }
    this.timer = setInterval(() => this.schedule(), ROUND_MS);
    this.timer.unref();
    this.schedule();
  }

  /** Rounds never overlap: a slow database delays the next one instead of stacking them. */
  private schedule(): void {
    this.round = this.round.then(() => this.supervise()).catch(() => {});
  }

  private async begin(slot: Slot, lease: JobLease): Promise<void> {
    const config = slot.config;
    const logger = this.deps.logger.child({ tenant: config.id });
    const runner = new JobRunner({
      config,
      store: this.deps.store.forJob(config.id),
      logger,
      metrics: this.deps.metrics,
      notifier: this.deps.notifierFor(config),
      runsRetentionMs: this.deps.runsRetentionMs,
    });
    slot.runner = runner;
    slot.lease = lease;
    lease.lost.addEventListener("abort", () => {
      if (slot.lease === lease) {
        slot.lease = null;
        slot.runner = null;
      }
    });
    await runner.start(lease);
  }

  private async supervise(): Promise<void> {
    if (this.stopping) return;
    const { store, logger, metrics } = this.deps;
    try {
      await store.replicas.heartbeat(this.replica, this.ttlMs);
      const live = Math.max(1, (await store.replicas.live()).length);
      const share = Math.ceil(this.slots.size / live);
      const held = [...this.slots.values()].filter(
        (slot) => slot.lease && !slot.lease.lost.aborted,
      );
      if (held.length > share) await this.handOver(held, held.length - share);
      let count = Math.min(held.length, share);
      for (const [id, slot] of this.slots) {
        if (this.stopping || count >= share) break;
        if (slot.lease && !slot.lease.lost.aborted) continue;
        const claim = await JobLease.tryClaim(store.forJob(id), this.replica, this.ttlMs);
        if ("busy" in claim) continue;
        count++;
        logger.info({ tenant: id, epoch: claim.fence.epoch }, "took the job's lease");
        metrics.leaseTakeovers.inc({ tenant: id });
        await this.begin(slot, claim);
      }
      metrics.tenantsHeld.set(count);
    } catch (error) {
      logger.warn(`lease round failed: ${describe(error)}`);
    }
  }

  /** Gives surplus jobs back, idle ones first, so that a new replica gets its share. */
  private async handOver(held: Slot[], surplus: number): Promise<void> {
    const idle = held.sort(
      (a, b) => Number(Boolean(a.runner?.running)) - Number(Boolean(b.runner?.running)),
    );
    for (const slot of idle.slice(0, surplus)) {
      this.deps.logger.info({ tenant: slot.config.id }, "handing the job over to another replica");
      await this.stopSlot(slot, 10_000);
    }
  }

  private async stopSlot(slot: Slot, graceMs: number): Promise<void> {
    const { runner, lease } = slot;
    slot.runner = null;
    slot.lease = null;
    await runner?.stop(graceMs);
    await lease?.release();
  }

  /** The runner of a job this process holds, if it holds it. */
  runner(id: string): JobRunner | undefined {
    return this.slots.get(id)?.runner ?? undefined;
  }

  jobs(): JobConfig[] {
    return [...this.slots.values()].map((slot) => slot.config);
  }

  job(id: string): JobConfig | undefined {
    return this.slots.get(id)?.config;
  }

  /**
   * A new set of jobs (the tenants file changed): removed ones stop at their next commit and are
   * handed back, changed ones restart with their new settings, new ones are claimed next round.
   */
  async reload(jobs: JobConfig[]): Promise<void> {
    const next = new Map(jobs.map((config) => [config.id, config]));
    for (const [id, slot] of this.slots) {
      const config = next.get(id);
      if (config && JSON.stringify(config) === JSON.stringify(slot.config)) continue;
      await this.stopSlot(slot, 10_000);
      if (config) slot.config = config;
      else this.slots.delete(id);
    }
    for (const [id, config] of next) {
      if (!this.slots.has(id)) this.slots.set(id, { config, runner: null, lease: null });
    }
    this.schedule();
  }

  /** Stops every job (the batch in flight may finish within `graceMs`) and hands them over. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
    await Promise.all([...this.slots.values()].map((slot) => this.stopSlot(slot, graceMs)));
    await this.release();
  }

  private async release(): Promise<void> {
    await this.deps.store.replicas.leave(this.replica).catch(() => {});
  }
}
