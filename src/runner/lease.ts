// One process exports a job at a time. `run` and `once` claim the job's lease in the store before
// they read anything and renew it while they live; a second process on the same store refuses to
// start, naming the holder. Every commit carries the lease's epoch, so a process that lost the
// lease (frozen past its expiry, then taken over) can never commit again.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ExporterError, LeaseLostError } from "../errors.ts";
import type { Fence, LeaseHolder, Store } from "../interfaces.ts";

/** How long a lease lasts unless renewed; renewed every third of it. */
export const LEASE_TTL_MS = 30_000;

/** Another live process holds the job: exit 1, naming it. */
export class StoreBusyError extends ExporterError {
  constructor(message: string) {
    super(message, { retryable: false });
  }
}

export function holderFor(command: string): LeaseHolder {
  return {
    id: `${hostname()}:${process.pid}:${randomBytes(6).toString("hex")}`,
    host: hostname(),
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
  };
}

/**
 * A holder on this host whose process is gone left its lease behind (killed): it need not be
 * waited out. On another host nothing can be proved, so the lease must expire.
 */
export function isDeadOnThisHost(other: LeaseHolder): boolean {
  if (other.host !== hostname() || other.pid === process.pid) return false;
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
  private readonly store: Store;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly ttlMs: number;

  private constructor(store: Store, fence: Fence, ttlMs: number) {
    this.store = store;
    this.fence = fence;
    this.ttlMs = ttlMs;
    this.timer = setInterval(() => void this.renew(), Math.max(100, ttlMs / 3));
    this.timer.unref();
  }

  /** Claims the job for this process, or throws StoreBusyError naming the process that has it. */
  static async claim(store: Store, holder: LeaseHolder, ttlMs = LEASE_TTL_MS): Promise<JobLease> {
    const claim = await store.claimLease(holder, ttlMs, isDeadOnThisHost);
    if (!claim.held) {
      throw new StoreBusyError(
        `the store is in use by ${describeHolder(claim.holder)}, which exports this job; stop it first (its lease ends at ${new Date(claim.expiresAt).toISOString()} unless renewed)`,
      );
    }
    return new JobLease(store, { holder: holder.id, epoch: claim.epoch }, ttlMs);
  }

  /** Aborted when the lease was found taken over: the execution must stop and not restart. */
  get lost(): AbortSignal {
    return this.controller.signal;
  }

  private async renew(): Promise<void> {
    if (this.lost.aborted) return;
    try {
      if (!(await this.store.renewLease(this.fence, this.ttlMs))) {
        clearInterval(this.timer);
        this.controller.abort(
          new LeaseLostError("another process took this job over: its lease was lost"),
        );
      }
    } catch {
      // The store is unreachable: nothing can commit either; try again at the next renewal.
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.lost.aborted) return;
    await this.store.releaseLease(this.fence).catch(() => {});
  }
}
