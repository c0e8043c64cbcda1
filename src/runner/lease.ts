// One process exports a job at a time. `run` and `once` claim the job's lease in the store before
// they read anything and renew it while they live; a second process on the same store refuses to
// start, naming the holder. Every commit carries the lease's epoch, so a process that lost the
// lease (frozen past its expiry, then taken over) can never commit again.

import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { ExporterError, LeaseLostError } from "../errors.ts";
import type { Fence, JobStore, LeaseHolder } from "../interfaces.ts";

/**
 * How long a lease lasts unless renewed; renewed every third of it. With SQLite one machine holds
 * the store, so a killed holder is recognised by its pid and the ttl only matters for a frozen
 * one; replicas on PostgreSQL take over a dead one's jobs when its leases expire, so there it is
 * shorter: failover is the ttl plus a supervisor round.
 */
export const LEASE_TTL_MS = 30_000;
export const REPLICA_LEASE_TTL_MS = 15_000;

/** Another live process holds the job: exit 1, naming it. */
export class StoreBusyError extends ExporterError {
  constructor(message: string) {
    super(message, { retryable: false });
  }
}

/**
 * Where a pid means something: the host, and the pid namespace within it (containers on one host,
 * or with one hostname, each count their pids apart: pid 7 in one is not pid 7 in another).
 */
function pidSpace(): string {
  let namespace = "";
  try {
    namespace = readlinkSync("/proc/self/ns/pid").replace(/\D/g, "");
  } catch {
    // No /proc (macOS): the host name alone.
  }
  return `${hostname()}/${namespace}`;
}

const PID_SPACE = pidSpace();

export function holderFor(command: string): LeaseHolder {
  return {
    id: `${PID_SPACE}:${process.pid}:${randomBytes(6).toString("hex")}`,
    host: hostname(),
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
  };
}

/**
 * A holder on this host (and pid namespace) whose process is gone left its lease behind (killed):
 * it need not be waited out. Elsewhere nothing can be proved, so the lease must expire.
 */
export function isDeadOnThisHost(other: LeaseHolder): boolean {
  if (!other.id.startsWith(`${PID_SPACE}:`) || other.pid === process.pid) return false;
  try {
    process.kill(other.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export function describeHolder(holder: LeaseHolder): string {
  return `"${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`;
}

export class JobLease {
  readonly fence: Fence;
  private readonly store: JobStore;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly ttlMs: number;
  /** When the lease was last confirmed, on the monotonic clock. */
  private confirmedAt = performance.now();

  private constructor(store: JobStore, fence: Fence, ttlMs: number) {
    this.store = store;
    this.fence = fence;
    this.ttlMs = ttlMs;
    this.timer = setInterval(() => void this.renew(), Math.max(100, ttlMs / 3));
    this.timer.unref();
  }

  /** Claims the job, or returns the process that has it. */
  static async tryClaim(
    store: JobStore,
    holder: LeaseHolder,
    ttlMs = LEASE_TTL_MS,
  ): Promise<JobLease | { busy: LeaseHolder }> {
    const claim = await store.leases.claim(holder, ttlMs, isDeadOnThisHost);
    if (!claim.held) return { busy: claim.holder };
    return new JobLease(store, { holder: holder.id, epoch: claim.epoch }, ttlMs);
  }

  /** Claims the job for this process, or throws StoreBusyError naming the process that has it. */
  static async claim(
    store: JobStore,
    holder: LeaseHolder,
    ttlMs = LEASE_TTL_MS,
  ): Promise<JobLease> {
    const claim = await JobLease.tryClaim(store, holder, ttlMs);
    if ("busy" in claim) {
      const tenant = store.job === "default" ? "this job" : `tenant ${store.job}`;
      throw new StoreBusyError(
        `the store is in use by ${describeHolder(claim.busy)}, which exports ${tenant}; stop it first, or wait until its lease lapses`,
      );
    }
    return claim;
  }

  /** Aborted when the lease was found taken over: the execution must stop and not restart. */
  get lost(): AbortSignal {
    return this.controller.signal;
  }

  private lose(message: string): void {
    clearInterval(this.timer);
    if (!this.lost.aborted) this.controller.abort(new LeaseLostError(message));
  }

  private async renew(): Promise<void> {
    if (this.lost.aborted) return;
    // Frozen or cut off for longer than the lease could stay ours: another process may hold the
    // job by now. Step down first, before the store is asked (commits are fenced anyway).
    if (performance.now() - this.confirmedAt > this.ttlMs * 0.8) {
      this.lose(
        "this process's lease may have lapsed (not renewed in time); it stopped exporting the job",
      );
      return;
    }
    try {
      if (await this.store.leases.renew(this.fence, this.ttlMs)) {
        this.confirmedAt = performance.now();
      } else {
        this.lose("another process took this job over: its lease was lost");
      }
    } catch {
      // The store is unreachable: nothing can commit either; try again at the next renewal.
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.lost.aborted) return;
    this.controller.abort(new LeaseLostError("the lease was released"));
    await this.store.leases.release(this.fence).catch(() => {});
  }
}
