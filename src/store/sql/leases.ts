// The job's lease: one row per job naming the holder, its epoch and when it expires. A takeover
// bumps the epoch, which every commit of the old holder is checked against. PostgreSQL keeps time
// by its own clock (now()), so that replicas with skewed clocks agree; SQLite, used by one
// machine, by the process's.

import type { Fence, JobId, LeaseClaim, LeaseHolder } from "../../interfaces.ts";
import { type Db, int } from "../db.ts";
import { interruptRuns } from "./runs.ts";

/** "now" and "now + ttl" in the dialect's clock, and the parameters they need. */
function clock(db: Db, ttlMs: number) {
  if (db.dialect === "postgres") {
    return {
      now: "now()",
      until: "now() + CAST(? AS integer) * interval '1 millisecond'",
      nowParams: [],
      untilParams: [ttlMs],
    };
  }
  const now = Date.now();
  return { now: "?", until: "?", nowParams: [now], untilParams: [now + ttlMs] };
}

interface LeaseRow {
  holder: string;
  epoch: number | string;
  live: number | boolean;
  info: unknown;
}

function infoOf(value: unknown): LeaseHolder {
  return (typeof value === "string" ? JSON.parse(value) : value) as LeaseHolder;
}

export async function claimLease(
  db: Db,
  job: JobId,
  holder: LeaseHolder,
  ttlMs: number,
  isStale: (other: LeaseHolder) => boolean,
  now: string,
): Promise<LeaseClaim> {
  return db.transaction(async (tx) => {
    const t = clock(tx, ttlMs);
    const lock = tx.dialect === "postgres" ? " FOR UPDATE" : "";
    const row = await tx.get<LeaseRow>(
      `SELECT holder, epoch, expires_at > ${t.now} AS live, info FROM leases WHERE job = ?${lock}`,
      [...t.nowParams, job],
    );
    const info = JSON.stringify(holder);
    if (!row) {
      const inserted = await tx.run(
        `INSERT INTO leases (job, holder, epoch, expires_at, info) VALUES (?, ?, 1, ${t.until}, ?)
         ON CONFLICT (job) DO NOTHING`,
        [job, holder.id, ...t.untilParams, info],
      );
      // Another replica inserted it first: it holds the job now.
      if (inserted.changes === 1) {
        await interruptRuns(tx, job, 1, now);
        return { held: true, epoch: 1 };
      }
      const winner = await tx.get<LeaseRow>(
        "SELECT holder, epoch, info FROM leases WHERE job = ?",
        [job],
      );
      return { held: false, holder: infoOf(winner?.info), expiresAt: Date.now() + ttlMs };
    }
    const other = infoOf(row.info);
    // This holder claiming again (after it lost the lease, or released it) starts a new epoch
    // too: whatever its earlier claim left running must not commit under the new one.
    if (row.holder !== holder.id && row.live && !isStale(other)) {
      return { held: false, holder: other, expiresAt: 0 };
    }
    const epoch = int(row.epoch) + 1;
    await tx.run(
      `UPDATE leases SET holder = ?, epoch = ?, expires_at = ${t.until}, info = ? WHERE job = ?`,
      [holder.id, epoch, ...t.untilParams, info, job],
    );
    await interruptRuns(tx, job, epoch, now);
    return { held: true, epoch };
  });
}

export async function renewLease(
  db: Db,
  job: JobId,
  fence: Fence,
  ttlMs: number,
): Promise<boolean> {
  const t = clock(db, ttlMs);
  const result = await db.run(
    `UPDATE leases SET expires_at = ${t.until} WHERE job = ? AND holder = ? AND epoch = ?`,
    [...t.untilParams, job, fence.holder, fence.epoch],
  );
  return result.changes === 1;
}

/** Expired at once, not deleted: the epoch must keep growing so that an old fence never matches. */
export async function releaseLease(db: Db, job: JobId, fence: Fence): Promise<void> {
  const t = clock(db, 0);
  await db.run(
    `UPDATE leases SET expires_at = ${t.now} WHERE job = ? AND holder = ? AND epoch = ?`,
    [...t.nowParams, job, fence.holder, fence.epoch],
  );
}

export async function leaseHolder(
  db: Db,
  job: JobId,
): Promise<{ holder: LeaseHolder; epoch: number } | null> {
  const t = clock(db, 0);
  const row = await db.get<LeaseRow>(
    `SELECT holder, epoch, expires_at > ${t.now} AS live, info FROM leases WHERE job = ?`,
    [...t.nowParams, job],
  );
  return row?.live ? { holder: infoOf(row.info), epoch: int(row.epoch) } : null;
}

export async function heartbeat(db: Db, replica: LeaseHolder, ttlMs: number): Promise<void> {
  const t = clock(db, ttlMs);
  await db.run(
    `INSERT INTO replicas (id, info, expires_at) VALUES (?, ?, ${t.until})
     ON CONFLICT (id) DO UPDATE SET info = excluded.info, expires_at = excluded.expires_at`,
    [replica.id, JSON.stringify(replica), ...t.untilParams],
  );
}

/**
 * The replicas whose heartbeat is live; with `heardWithinMs`, only those heard from that recently
 * (their expiry is `ttlMs` after their last heartbeat): a frozen one stops counting before its
 * heartbeat lapses.
 */
export async function liveReplicas(
  db: Db,
  recent?: { heardWithinMs: number; ttlMs: number },
): Promise<LeaseHolder[]> {
  const t = clock(db, recent ? Math.max(0, recent.ttlMs - recent.heardWithinMs) : 0);
  const rows = await db.all<{ info: unknown }>(
    `SELECT info FROM replicas WHERE expires_at > ${t.until} ORDER BY id`,
    t.untilParams,
  );
  return rows.map((row) => infoOf(row.info));
}

/** Every job held by a live lease, and by whom: one look for a supervisor's round. */
export async function liveLeases(db: Db): Promise<Map<JobId, LeaseHolder>> {
  const t = clock(db, 0);
  const rows = await db.all<{ job: string; info: unknown }>(
    `SELECT job, info FROM leases WHERE expires_at > ${t.now}`,
    t.nowParams,
  );
  return new Map(rows.map((row) => [row.job, infoOf(row.info)]));
}

export async function leaveReplicas(db: Db, replica: LeaseHolder): Promise<void> {
  await db.run("DELETE FROM replicas WHERE id = ?", [replica.id]);
}
