// The fence every write of an exporting process passes: its lease (holder and epoch) must still be
// the job's, read inside the write's own transaction.

import type { Fence, JobId } from "../../interfaces.ts";
import type { Db } from "../db.ts";

/**
 * The job's lease as the transaction sees it. FOR SHARE (PostgreSQL): a takeover (an UPDATE of
 * the lease row) waits for the transaction, or the transaction waits for the takeover and then
 * sees the new holder; never both at once. SQLite runs one write transaction at a time anyway.
 */
export async function readLease(
  tx: Db,
  job: JobId,
): Promise<{ holder: string; epoch: number } | undefined> {
  const lock = tx.dialect === "postgres" ? " FOR SHARE" : "";
  const lease = await tx.get<{ holder: string; epoch: number | string }>(
    `SELECT holder, epoch FROM leases WHERE job = ?${lock}`,
    [job],
  );
  return lease && { holder: lease.holder, epoch: Number(lease.epoch) };
}

/** Whether `fence` is still the job's lease (read as `readLease` reads it). */
export async function holdsLease(tx: Db, job: JobId, fence: Fence): Promise<boolean> {
  return isHeld(await readLease(tx, job), fence);
}

export function isHeld(
  lease: { holder: string; epoch: number } | undefined,
  fence: Fence,
): boolean {
  return lease?.holder === fence.holder && lease.epoch === fence.epoch;
}

/**
 * The job's lease epoch as the transaction sees it, for the record of a move: recorded as the
 * database has it, not as the writer believes, so that the record shows a move that slipped past
 * the fence (two holders under one epoch) instead of repeating the writer's word.
 */
export const LEASE_EPOCH = "(SELECT epoch FROM leases WHERE leases.job = ?)";
