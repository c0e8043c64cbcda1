// Whether this replica is ready (GET /readyz), from what its supervisor's lease rounds saw, never
// by asking the store: the store may be the very thing that hangs, and a probe must be answered
// at once. Not ready while the last round failed (the store did not answer), while no round has
// ended for longer than a lease lasts (rounds are stuck: leases lapse and nothing claims them), or
// while a configured tenant has been held by no replica for a few rounds (nothing exports it).

import { duration } from "../util/duration-text.ts";

export interface RoundLimits {
  /** How often a round is due. */
  roundMs: number;
  /** No round ended for this long: overdue. */
  overdueMs: number;
  /** A tenant held by no replica for this long is a problem (a hand-over takes a round). */
  unheldMs: number;
}

/**
 * Overdue once a lease (`ttlMs`) could have lapsed with no round to notice; a tenant may go
 * unheld for three rounds (a hand-over, a lapsed lease taken up).
 */
export function roundLimits(roundMs: number, ttlMs: number): RoundLimits {
  return { roundMs, overdueMs: ttlMs, unheldMs: 3 * roundMs };
}

/** A configured tenant, and whether this replica holds it (or is handing it over) now. */
export interface Holding {
  id: string;
  here: boolean;
}

export class RoundWatch {
  private readonly limits: RoundLimits;
  /** When (performance.now()) the last round ended, or the watch began; and why it failed. */
  private lastEnd: number;
  private lastError: string | null = null;
  /** The tenants another live replica held at the last round that saw the leases. */
  private elsewhere = new Set<string>();
  /** Since when each tenant held by no replica has been seen so. */
  private readonly unheldSince = new Map<string, number>();

  constructor(limits: RoundLimits, now = performance.now()) {
    this.limits = limits;
    this.lastEnd = now;
  }

  /**
   * A round ended: `error` when it failed, `elsewhere` the tenants other replicas hold when it
   * read the leases (null: it did not, and what the last one read stands).
   */
  ended(
    error: string | null,
    tenants: Holding[],
    elsewhere: Iterable<string> | null,
    now = performance.now(),
  ): void {
    this.lastEnd = now;
    this.lastError = error;
    if (elsewhere) this.elsewhere = new Set(elsewhere);
    const configured = new Set(tenants.map((tenant) => tenant.id));
    for (const id of this.unheldSince.keys()) {
      if (!configured.has(id)) this.unheldSince.delete(id);
    }
    for (const tenant of tenants) {
      if (this.held(tenant)) this.unheldSince.delete(tenant.id);
      else if (!this.unheldSince.has(tenant.id)) this.unheldSince.set(tenant.id, now);
    }
  }

  private held(tenant: Holding): boolean {
    return tenant.here || this.elsewhere.has(tenant.id);
  }

  /** Why this replica is not ready now; none when it is. */
  problems(tenants: Holding[], now = performance.now()): string[] {
    const problems: string[] = [];
    if (this.lastError !== null) problems.push(`store unreachable: ${this.lastError}`);
    const since = now - this.lastEnd;
    if (since > this.limits.overdueMs) {
      problems.push(
        `no lease round has ended for ${duration(since)} (one is due every ${duration(this.limits.roundMs)}): leases may lapse with nothing to claim them`,
      );
    }
    for (const tenant of tenants) {
      const from = this.unheldSince.get(tenant.id);
      if (this.held(tenant) || from === undefined || now - from <= this.limits.unheldMs) continue;
      const who = tenant.id === "default" ? "the job" : `tenant ${tenant.id}`;
      problems.push(
        `${who} has been held by no replica for ${duration(now - from)}: nothing exports it`,
      );
    }
    return problems;
  }
}
