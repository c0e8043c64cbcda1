// The fence every write of an exporting process passes: its lease (holder and epoch) must still be
// the job's, read inside the write's own transaction.

import type { Fence, JobId } from "../../interfaces.ts";
import type { Db } from "../db.ts";

/**
 * Whether `fence` is still the job's lease. FOR SHARE (PostgreSQL): a takeover (an UPDATE of the
 * lease row) waits for the transaction, or the transaction waits for the takeover and then sees
 * the new holder; never both at once. SQLite runs one write transaction at a time anyway.
 */
export async function holdsLease(tx: Db, job: JobId, fence: Fence): Promise<boolean> {
  const lock = tx.dialect === "postgres" ? " FOR SHARE" : "";
  const lease = await tx.get<{ holder: string; epoch: number | string }>(
    `SELECT holder, epoch FROM leases WHERE job = ?${lock}`,
    [job],
  );
  return lease?.holder === fence.holder && Number(lease.epoch) === fence.epoch;
}

/**
 * The job's lease epoch as the transaction sees it, for the record of a move: recorded as the
 * database has it, not as the writer believes, so that the record shows a commit that slipped past
 * the fence (two holders under one epoch) instead of repeating the writer's word.
 */
export const LEASE_EPOCH = "(SELECT epoch FROM leases WHERE leases.job = ?)";
