// The process's jobs and their leases. Every round (a couple of seconds) it heartbeats this
// replica, renews nothing itself (each lease renews on its own timer), and claims the jobs no live
// process holds, up to its share: the jobs divided by the live replicas, rounded up. A replica with
// more than its share hands the surplus over; one that stops hands all of its jobs over at once.
// A job is exported only while its lease is held; a lost lease stops its runner, and the job is
// claimed again only once it is free. A round that fails (the store's calls end within their
// deadline, answered or not) just ends: the next one claims again. Readiness is what the rounds
// saw (readiness.ts), never a wait on the store.

import type { Logger } from "pino";
import type { JobConfig } from "../config/types.ts";
import { describe, StoreBusyError } from "../errors.ts";
import type { LeaseHolder, Notifier, Store } from "../interfaces.ts";
import type { JobObserver, ReplicaObserver } from "../ports/observers.ts";
import { JobRunner } from "./job-runner.ts";
import {
  describeHolder,
  holderFor,
  isDeadOnThisHost,
  JobLease,
  LEASE_TTL_MS,
  REPLICA_LEASE_TTL_MS,
} from "./lease.ts";
import { type Holding, RoundWatch, roundLimits } from "./readiness.ts";
import { StoreAlerts } from "./store-alerts.ts";

/** How often the supervisor looks at the leases. */
export const ROUND_MS = 2_000;
/** A replica not heard from for this long (three rounds) no longer counts for the shares. */
export const ACTIVE_WITHIN_MS = 3 * ROUND_MS;

/** How long a job handed over may take to finish its batch in flight before it is abandoned. */
const HAND_OVER_GRACE_MS = 10_000;

/** The job's lease is held by this process, and not lost. */
const mine = (slot: Slot) => slot.lease !== null && !slot.lease.lost.aborted;

interface Slot {
  config: JobConfig;
  runner: JobRunner | null;
  lease: JobLease | null;
  /** Being handed over: its runner finishing the batch in flight, then the lease released. */
  leaving: Promise<void> | null;
}

export interface SupervisorDeps {
  store: Store;
  logger: Logger;
  /** Told of the jobs, the leases and each job's executions (the metrics). */
  observer: JobObserver & ReplicaObserver;
  runsRetentionMs: number;
  notifierFor(job: JobConfig): Notifier;
  /** Each job held starts with an execution, not at its first SCHEDULE tick (`run`'s). */
  runAtStart?: boolean;
}

export class Supervisor {
  readonly replica: LeaseHolder;
  private readonly deps: SupervisorDeps;
  private readonly slots = new Map<string, Slot>();
  private readonly notifiers = new Map<string, Notifier>();
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();
  /** A round is queued and has not begun: another would see nothing this one will not. */
  private roundQueued = false;
  private stopping = false;
  private readonly storeAlerts: StoreAlerts;
  private readonly rounds: RoundWatch;

  constructor(jobs: JobConfig[], deps: SupervisorDeps) {
    this.deps = deps;
    this.replica = holderFor("run");
    this.ttlMs = deps.store.sharedByReplicas ? REPLICA_LEASE_TTL_MS : LEASE_TTL_MS;
    this.rounds = new RoundWatch(roundLimits(ROUND_MS, this.ttlMs));
    for (const config of jobs) {
      this.slots.set(config.id, { config, runner: null, lease: null, leaving: null });
    }
    deps.observer.configured(jobs);
    this.storeAlerts = new StoreAlerts(deps.logger, () =>
      [...this.slots.values()].map((slot) => this.notifierOf(slot.config)),
    );
  }

  /**
   * Takes this process's jobs. On a store replicas cannot share (SQLite) one process exports its
   * jobs: a job another live process holds makes this one refuse to start (StoreBusyError, naming
   * it). Replicas on a shared store (PostgreSQL) share the jobs instead, and start with none held if
   * others hold them all.
   */
  async start(): Promise<void> {
    await this.serialized(() => this.claimAll());
    this.timer = setInterval(() => this.schedule(), ROUND_MS);
    this.timer.unref();
    // The first round's claims are made before start returns: a lone replica holds its jobs.
    this.schedule();
    await this.round;
  }

  private async claimAll(): Promise<void> {
    await this.deps.store.replicas.heartbeat(this.replica, this.ttlMs);
    if (this.deps.store.sharedByReplicas) return;
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

  /**
   * Runs `work` once the rounds, claims and reloads queued before it are done: the set of jobs
   * never changes while a round is between its look at a slot and the runner it begins there
   * (else a tenant removed meanwhile would get a runner and a lease that nothing stops).
   */
  private serialized<T>(work: () => Promise<T> | T): Promise<T> {
    const result = this.round.then(work);
    this.round = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /**
   * Rounds never overlap: a slow database delays the next one instead of stacking them, and while
   * one waits to begin, no other is queued behind it.
   */
  private schedule(): void {
    if (this.roundQueued) return;
    this.roundQueued = true;
    this.serialized(() => {
      this.roundQueued = false;
      return this.supervise();
    }).catch(() => {});
  }

  private async begin(slot: Slot, lease: JobLease): Promise<void> {
    const config = slot.config;
    const logger = this.deps.logger.child({ tenant: config.id });
    const runner = new JobRunner({
      config,
      store: this.deps.store.forJob(config.id),
      logger,
      observer: this.deps.observer,
      notifier: this.notifierOf(config),
      runsRetentionMs: this.deps.runsRetentionMs,
      runAtStart: this.deps.runAtStart ?? false,
    });
    slot.runner = runner;
    slot.lease = lease;
    lease.lost.addEventListener("abort", () => {
      if (slot.lease === lease) {
        slot.lease = null;
        slot.runner = null;
      }
      this.countHeld();
    });
    try {
      await runner.start(lease);
    } catch (error) {
      // Half started (the store failed under it), it would hold the job and export nothing: it
      // gives the job back, to be claimed again by a round.
      await this.stopSlot(slot, 0);
      throw error;
    }
  }

  /** One per job for the life of the process: its alert state outlives a lease lost and taken back. */
  private notifierOf(config: JobConfig): Notifier {
    let notifier = this.notifiers.get(config.id);
    if (!notifier) {
      notifier = this.deps.notifierFor(config);
      this.notifiers.set(config.id, notifier);
    }
    return notifier;
  }

  /**
   * One round: heartbeat; hand surplus jobs over; claim free jobs up to this replica's share.
   * The share counts the replicas heard from within ACTIVE_WITHIN_MS, not all whose heartbeat
   * is live: a frozen or cut-off replica's jobs are taken as soon as their leases lapse, not
   * once its heartbeat does too; and one that is dead on this host counts at once no more.
   */
  private async supervise(): Promise<void> {
    if (this.stopping) return;
    const { store, logger, observer } = this.deps;
    try {
      await store.replicas.heartbeat(this.replica, this.ttlMs);
      const [replicas, leases] = await Promise.all([
        store.replicas.live({ heardWithinMs: ACTIVE_WITHIN_MS, ttlMs: this.ttlMs }),
        store.replicas.leases(),
      ]);
      const live = Math.max(1, replicas.filter((r) => !isDeadOnThisHost(r)).length);
      const share = Math.ceil(this.slots.size / live);
      const held = [...this.slots.values()].filter(mine);
      if (held.length > share) this.handOver(held, held.length - share);
      let count = Math.min(held.length, share);
      for (const [id, slot] of this.slots) {
        if (this.stopping || count >= share) break;
        if (mine(slot) || slot.leaving) continue;
        // Held by a live lease elsewhere: not worth a claim (a dead holder here is stale). One in
        // this replica's name that it does not hold is a claim whose answer was lost (timed out,
        // committed or not): claimed again, under a new epoch.
        const holder = leases.get(id);
        if (holder && holder.id !== this.replica.id && !isDeadOnThisHost(holder)) continue;
        const claim = await JobLease.tryClaim(store.forJob(id), this.replica, this.ttlMs);
        if ("busy" in claim) continue;
        if (this.stopping || this.slots.get(id) !== slot) {
          // Stopped, or the job removed, while the claim was on its way: nothing may run it.
          await claim.release();
          continue;
        }
        count++;
        logger.info({ tenant: id, epoch: claim.fence.epoch }, "took the job's lease");
        observer.tookOver(id);
        await this.begin(slot, claim);
      }
      observer.held(count);
      observer.roundCompleted();
      this.storeAlerts.reached();
      const others = [...leases].filter(
        ([, h]) => h.id !== this.replica.id && !isDeadOnThisHost(h),
      );
      this.rounds.ended(null, this.holding(), new Set(others.map(([id]) => id)));
    } catch (error) {
      logger.warn(`lease round failed: ${describe(error)}`);
      this.storeAlerts.missed(describe(error));
      this.countHeld();
      this.rounds.ended(describe(error), this.holding(), null);
    }
  }

  /** The gauge of jobs held, from the leases as they are now (a lost one no longer counts). */
  private countHeld(): void {
    this.deps.observer.held([...this.slots.values()].filter(mine).length);
  }

  /** Each job, and whether this process holds it (or is handing it over) now. */
  private holding(): Holding[] {
    return [...this.slots.values()].map((slot) => ({
      id: slot.config.id,
      here: mine(slot) || slot.leaving !== null,
    }));
  }

  /**
   * Why this process is not ready (GET /readyz): the last round failed or is overdue, or a job is
   * held by no replica. From what the rounds saw: answered at once, whatever the store does.
   */
  readiness(): string[] {
    return this.rounds.problems(this.holding());
  }

  /**
   * Gives surplus jobs back, idle ones first, so that a new replica gets its share. Not awaited:
   * a batch in flight may take seconds to finish, and the round must go on claiming meanwhile.
   */
  private handOver(held: Slot[], surplus: number): void {
    const idle = held.sort(
      (a, b) => Number(Boolean(a.runner?.running)) - Number(Boolean(b.runner?.running)),
    );
    for (const slot of idle.slice(0, surplus)) {
      this.deps.logger.info({ tenant: slot.config.id }, "handing the job over to another replica");
      slot.leaving = this.stopSlot(slot, HAND_OVER_GRACE_MS).finally(() => {
        slot.leaving = null;
      });
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
    const stopping = await this.serialized(() => this.replace(jobs));
    this.schedule();
    await Promise.all(stopping);
    this.schedule();
  }

  /** The new set of jobs, between rounds; returns the stops of the jobs removed or changed. */
  private replace(jobs: JobConfig[]): Promise<void>[] {
    const next = new Map(jobs.map((config) => [config.id, config]));
    // Stopped together: one stuck tenant's batch does not delay another's, nor the new ones.
    const stopping: Promise<void>[] = [];
    for (const [id, slot] of this.slots) {
      const config = next.get(id);
      if (config && JSON.stringify(config) === JSON.stringify(slot.config)) continue;
      this.notifiers.delete(id);
      // Leaving, the slot is not claimed again until its runner has stopped; then with `config`.
      const stopped = (slot.leaving ?? this.stopSlot(slot, HAND_OVER_GRACE_MS)).finally(() => {
        slot.leaving = null;
      });
      slot.leaving = stopped;
      stopping.push(stopped);
      if (config) slot.config = config;
      else this.slots.delete(id);
    }
    for (const [id, config] of next) {
      if (!this.slots.has(id)) {
        this.slots.set(id, { config, runner: null, lease: null, leaving: null });
      }
    }
    this.deps.observer.configured(jobs);
    return stopping;
  }

  /** Stops every job (the batch in flight may finish within `graceMs`) and hands them over. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
    await Promise.all(
      [...this.slots.values()].map((slot) => slot.leaving ?? this.stopSlot(slot, graceMs)),
    );
    await this.release();
  }

  private async release(): Promise<void> {
    await this.deps.store.replicas.leave(this.replica).catch(() => {});
  }
}
