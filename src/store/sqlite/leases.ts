// The job's lease in SQLite: one row per job naming the holder, its epoch and when it expires. A
// takeover bumps the epoch, which is what every commit of the old holder is checked against.

import type { DatabaseSync } from "node:sqlite";
import type { Fence, LeaseClaim, LeaseHolder } from "../../interfaces.ts";

export const DEFAULT_JOB = "default";

interface LeaseRow {
  holder: string;
  epoch: number;
  expires_at: number;
  info: string;
}

export function claimLease(
  db: DatabaseSync,
  holder: LeaseHolder,
  ttlMs: number,
  isStale: (other: LeaseHolder) => boolean,
  now = Date.now(),
): LeaseClaim {
  const row = db
    .prepare("SELECT holder, epoch, expires_at, info FROM leases WHERE job = ?")
    .get(DEFAULT_JOB) as LeaseRow | undefined;
  const info = JSON.stringify(holder);
  if (!row) {
    db.prepare(
      "INSERT INTO leases (job, holder, epoch, expires_at, info) VALUES (?, ?, 1, ?, ?)",
    ).run(DEFAULT_JOB, holder.id, now + ttlMs, info);
    return { held: true, epoch: 1 };
  }
  if (row.holder === holder.id) {
    db.prepare("UPDATE leases SET expires_at = ? WHERE job = ?").run(now + ttlMs, DEFAULT_JOB);
    return { held: true, epoch: row.epoch };
  }
  const other = JSON.parse(row.info) as LeaseHolder;
  if (row.expires_at > now && !isStale(other)) {
    return { held: false, holder: other, expiresAt: row.expires_at };
  }
  const epoch = row.epoch + 1;
  db.prepare("UPDATE leases SET holder = ?, epoch = ?, expires_at = ?, info = ? WHERE job = ?").run(
    holder.id,
    epoch,
    now + ttlMs,
    info,
    DEFAULT_JOB,
  );
  return { held: true, epoch };
}

export function renewLease(db: DatabaseSync, fence: Fence, ttlMs: number, now = Date.now()) {
  const result = db
    .prepare("UPDATE leases SET expires_at = ? WHERE job = ? AND holder = ? AND epoch = ?")
    .run(now + ttlMs, DEFAULT_JOB, fence.holder, fence.epoch);
  return result.changes === 1;
}

export function releaseLease(db: DatabaseSync, fence: Fence): void {
  // Expired, not deleted: the epoch must keep growing so that an old fence never matches again.
  db.prepare("UPDATE leases SET expires_at = 0 WHERE job = ? AND holder = ? AND epoch = ?").run(
    DEFAULT_JOB,
    fence.holder,
    fence.epoch,
  );
}

/** Whether `fence` is still the lease's: the commit check. */
export function holdsLease(db: DatabaseSync, fence: Fence): boolean {
  const row = db.prepare("SELECT holder, epoch FROM leases WHERE job = ?").get(DEFAULT_JOB) as
    | Pick<LeaseRow, "holder" | "epoch">
    | undefined;
  return row?.holder === fence.holder && row.epoch === fence.epoch;
}

/** Why the checkpoint last moved other than by a commit: "replay", "start-from", "initial". */
export function lastMoveReason(db: DatabaseSync): string | null {
  const row = db.prepare("SELECT reason FROM checkpoint_moves ORDER BY id DESC LIMIT 1").get() as
    | { reason: string }
    | undefined;
  return row?.reason ?? null;
}
