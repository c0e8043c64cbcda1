// One process exports a job at a time. `run` and `once` claim the job's lease in the store before
// they read anything and renew it while they live; a second process on the same store refuses to
// start, naming the holder. Every commit carries the lease's epoch, so a process that lost the
// lease (frozen past its expiry, then taken over) can never commit again.

import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { LeaseLostError, StoreBusyError } from "../errors.ts";
import type { Fence, JobStore, LeaseHolder } from "../interfaces.ts";

/**
 * How long a lease lasts unless renewed; renewed every third of it. With SQLite one machine holds
 * the store, so a killed holder is recognised by its pid and the ttl only matters for a frozen
 * one; replicas on PostgreSQL take over a dead one's jobs when its leases expire, so there it is
 * shorter: failover is the ttl plus a supervisor round.
 */
export const LEASE_TTL_MS = 30_000;
export const REPLICA_LEASE_TTL_MS = 15_000;

/** What tells a pid space apart: the machine's name, its pid namespace and its current boot. */
export interface PidSpaceFacts {
  hostname: string;
  /** The inode of /proc/self/ns/pid: containers on one host each count their pids apart. */
  pidNamespace: string;
  /**
   * /proc/sys/kernel/random/boot_id: the initial pid namespace has the same inode on every
   * machine, so two machines (or one machine before and after a reboot) with one hostname would
   * otherwise share a key, and each would find the other's pids dead and take its leases.
   */
  bootId: string;
}

/** Where a pid means something: pid 7 in one space is not pid 7 in another. */
export function pidSpaceOf(facts: PidSpaceFacts): string {
  return `${facts.hostname}/${facts.pidNamespace}/${facts.bootId}`;
}

/** What `read` gives, or "" without /proc (macOS): nothing to tell apart by it then. */
function proc(read: () => string): string {
  try {
    return read();
  } catch {
    return "";
  }
}

export function thisPidSpace(): PidSpaceFacts {
  return {
    hostname: hostname(),
    pidNamespace: proc(() => readlinkSync("/proc/self/ns/pid").replace(/\D/g, "")),
    bootId: proc(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()),
  };
}

const PID_SPACE = pidSpaceOf(thisPidSpace());

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
 * A holder in this pid space (this machine, this boot, this pid namespace) whose process is gone
 * left its lease behind (killed): it need not be waited out. Elsewhere nothing can be proved, so
 * the lease must expire.
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

  /**
   * A write of this process was refused by the lease's fence (a commit, an execution's start):
   * the job is another's now. Stop at once rather than at the next renewal, seconds later.
   */
  found(error: LeaseLostError): void {
    this.lose(error.message);
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
    // The database computes the expiry from its own clock when it gets the request, which may be
    // long before the answer arrives here: count from the moment the request left.
    const sentAt = performance.now();
    try {
      if (await this.store.leases.renew(this.fence, this.ttlMs)) {
        this.confirmedAt = sentAt;
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
