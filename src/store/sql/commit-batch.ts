// The commit of one acknowledged page, in one transaction: fenced by the lease (a process that
// lost the job may not commit), compare-and-set on the checkpoint (a replay made meanwhile is not
// overwritten), the run's counts with the lease epoch the database had at the commit, and the
// page's dead letters (and, with a Log Stream, the ids it delivered).

import type { Checkpoint, CommitStep, Fence, JobId } from "../../interfaces.ts";
import { type Db, int } from "../db.ts";
import { insertDeadLetters } from "./dead-letters.ts";
import { insertDeliveredIds } from "./delivered-ids.ts";
import { isHeld, readLease } from "./fence.ts";

/** What left the checkpoint where it is, when a commit's compare-and-set failed. */
export interface LastMove {
  /** The latest recorded move of the checkpoint (a replay, START_FROM, the first start). */
  reason: string | null;
  /** Where that move left the checkpoint. */
  to: Checkpoint | null;
  /** The latest run whose commit left it where it is now, if one did. */
  committer: { runId: number; epoch: number | null } | null;
}

export type CommitConflict =
  | { kind: "lease" }
  | ({ kind: "moved"; current: Checkpoint | null } & LastMove)
  | null;

/**
 * The lowest and highest lease epoch the run's commits were made under, as the database has the
 * epoch (read in the commit's transaction, not taken from the committing process): a commit that
 * slipped past the fence after a takeover would show as a run whose commits reach a later epoch.
 */
const COMMITTED_EPOCHS = `
  committed_epoch_low = CASE WHEN committed_epoch_low IS NULL OR ? < committed_epoch_low
    THEN ? ELSE committed_epoch_low END,
  committed_epoch_high = CASE WHEN committed_epoch_high IS NULL OR ? > committed_epoch_high
    THEN ? ELSE committed_epoch_high END`;

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
    const lease = await readLease(tx, job);
    if (fence && !isHeld(lease, fence)) return { kind: "lease" } as const;
    const moved = await tx.run(
      "UPDATE checkpoints SET log_id = ?, updated_at = ? WHERE job = ? AND log_id = ?",
      [step.checkpoint, now, job, expected],
    );
    if (moved.changes !== 1) {
      const current = await tx.get<{ log_id: string | null }>(
        "SELECT log_id FROM checkpoints WHERE job = ?",
        [job],
      );
      const last = await tx.get<{ reason: string; to_id: string }>(
        "SELECT reason, to_id FROM checkpoint_moves WHERE job = ? ORDER BY id DESC LIMIT 1",
        [job],
      );
      // Only on a conflict: which run's commit left the checkpoint where it is, if one did.
      const committer = await tx.get<{ id: unknown; committed_epoch_high: unknown }>(
        `SELECT id, committed_epoch_high FROM runs WHERE job = ? AND last_checkpoint = ?
         AND batches > 0 ORDER BY id DESC LIMIT 1`,
        [job, current?.log_id ?? null],
      );
      return {
        kind: "moved",
        current: current?.log_id ?? null,
        reason: last?.reason ?? null,
        to: last?.to_id ?? null,
        committer: committer
          ? {
              runId: int(committer.id),
              epoch:
                committer.committed_epoch_high == null ? null : int(committer.committed_epoch_high),
            }
          : null,
      } as const;
    }
    const { counts } = step;
    await tx.run(
      `UPDATE runs SET read = read + ?, sent = sent + ?, filtered = filtered + ?,
         streamed = streamed + ?, rejected = rejected + ?, batches = batches + ?, last_checkpoint = ?, ${COMMITTED_EPOCHS}
       WHERE id = ? AND job = ?`,
      [
        counts.read,
        counts.sent,
        counts.filtered,
        counts.streamed,
        counts.rejected,
        counts.batches,
        step.checkpoint,
        ...Array<number | null>(4).fill(lease?.epoch ?? null),
        runId,
        job,
      ],
    );
    await insertDeadLetters(tx, job, runId, step.sink, step.deadLetters, now);
    if (step.delivered) await insertDeliveredIds(tx, job, step.delivered, "sweep", now);
    return null;
  });
}
