// The commit of one acknowledged page, in one transaction: fenced by the lease (a process that
// lost the job may not commit), compare-and-set on the checkpoint (a replay made meanwhile is not
// overwritten), the run's counts, and the page's dead letters.

import type { Checkpoint, CommitStep, Fence, JobId } from "../../interfaces.ts";
import type { Db } from "../db.ts";
import { insertDeadLetters } from "./dead-letters.ts";

export type CommitConflict = { kind: "lease" } | { kind: "moved"; reason: string | null } | null;

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
    if (fence) {
      // FOR SHARE: a takeover (an UPDATE of this row) waits for this commit, or this commit
      // waits for the takeover and then sees the new holder; never both at once.
      const lock = tx.dialect === "postgres" ? " FOR SHARE" : "";
      const lease = await tx.get<{ holder: string; epoch: number | string }>(
        `SELECT holder, epoch FROM leases WHERE job = ?${lock}`,
        [job],
      );
      if (lease?.holder !== fence.holder || Number(lease.epoch) !== fence.epoch) {
        return { kind: "lease" } as const;
      }
    }
    const moved = await tx.run(
      "UPDATE checkpoints SET log_id = ?, updated_at = ? WHERE job = ? AND log_id = ?",
      [step.checkpoint, now, job, expected],
    );
    if (moved.changes !== 1) {
      const last = await tx.get<{ reason: string }>(
        "SELECT reason FROM checkpoint_moves WHERE job = ? ORDER BY id DESC LIMIT 1",
        [job],
      );
      return { kind: "moved", reason: last?.reason ?? null } as const;
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
    await insertDeadLetters(tx, job, runId, step.sink, step.deadLetters, now);
    return null;
  });
}
