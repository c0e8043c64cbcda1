// The commit of one acknowledged page, in one transaction: fenced by the lease (a process that
// lost the job may not commit), compare-and-set on the checkpoint (a replay made meanwhile is not
// overwritten), the run's counts, the page's dead letters, and the commit's record (who committed,
// under which epoch).

import type { Checkpoint, CommitStep, Fence, JobId } from "../../interfaces.ts";
import { type Db, int } from "../db.ts";
import { insertDeadLetters } from "./dead-letters.ts";
import { holdsLease, LEASE_EPOCH } from "./fence.ts";

/** What moved the checkpoint away from the one a commit expected: the latest move, commits included. */
export interface LastMove {
  reason: string | null;
  runId: number | null;
  epoch: number | null;
}

export type CommitConflict = { kind: "lease" } | ({ kind: "moved" } & LastMove) | null;

export async function commitBatch(
  db: Db,
  job: JobId,
  runId: number,
  expected: Checkpoint,
  step: CommitStep,
  fence: Fence | null,
  now: string,
): Promise<CommitConflict> {
  return db.transaction(async (tx) => {
    if (fence && !(await holdsLease(tx, job, fence))) return { kind: "lease" } as const;
    const moved = await tx.run(
      "UPDATE checkpoints SET log_id = ?, updated_at = ? WHERE job = ? AND log_id = ?",
      [step.checkpoint, now, job, expected],
    );
    if (moved.changes !== 1) {
      const last = await tx.get<{ reason: string; run_id: unknown; epoch: unknown }>(
        "SELECT reason, run_id, epoch FROM checkpoint_moves WHERE job = ? ORDER BY id DESC LIMIT 1",
        [job],
      );
      return {
        kind: "moved",
        reason: last?.reason ?? null,
        runId: last?.run_id == null ? null : int(last.run_id),
        epoch: last?.epoch == null ? null : int(last.epoch),
      } as const;
    }
    const { counts } = step;
    await tx.run(
      `UPDATE runs SET read = read + ?, sent = sent + ?, filtered = filtered + ?,
         rejected = rejected + ?, batches = batches + ?, last_checkpoint = ? WHERE id = ? AND job = ?`,
      [
        counts.read,
        counts.sent,
        counts.filtered,
        counts.rejected,
        counts.batches,
        step.checkpoint,
        runId,
        job,
      ],
    );
    await tx.run(
      `INSERT INTO checkpoint_moves (job, at, from_id, to_id, reason, run_id, holder, epoch)
       VALUES (?, ?, ?, ?, 'commit', ?, ?, ${LEASE_EPOCH})`,
      [job, now, expected, step.checkpoint, runId, fence?.holder ?? null, job],
    );
    await insertDeadLetters(tx, job, runId, step.sink, step.deadLetters, now);
    return null;
  });
}
