// A move of the checkpoint that is not a delivery (a replay, START_FROM, the first look-back),
// recorded with its reason: a running execution tells a replay from a lost lease by it. Moves made
// by an exporting process (START_FROM, the look-back) are fenced by its lease, as commits are.

import type {
  Checkpoint,
  CheckpointMove,
  CheckpointMoveRecord,
  Fence,
  JobId,
} from "../../interfaces.ts";
import { type Db, int } from "../db.ts";
import { holdsLease, LEASE_EPOCH } from "./fence.ts";

/**
 * Moves the checkpoint, and says from where: "lease" (nothing written) when `fence` is no longer
 * the job's lease, "forward" (nothing written) for a replay without `skip` that would move it
 * past the stored one, over events not sent yet.
 */
export async function moveCheckpoint(
  db: Db,
  job: JobId,
  to: Checkpoint,
  move: CheckpointMove,
  now: string,
  fence: Fence | null = null,
): Promise<{ kind: "moved" | "forward"; from: Checkpoint | null } | { kind: "lease" }> {
  return db.transaction(async (tx) => {
    if (fence && !(await holdsLease(tx, job, fence))) return { kind: "lease" } as const;
    const current = await tx.get<{ log_id: string | null }>(
      "SELECT log_id FROM checkpoints WHERE job = ?",
      [job],
    );
    const from = current?.log_id ?? null;
    // Log ids compare as strings; no stored checkpoint yet is no skip.
    if (move.kind === "replay" && move.skip !== true && from !== null && to > from) {
      return { kind: "forward", from } as const;
    }
    const startFrom = move.kind === "start-from" ? move.startFrom : null;
    await tx.run(
      `INSERT INTO checkpoints (job, log_id, start_from_applied, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET log_id = excluded.log_id, updated_at = excluded.updated_at,
         start_from_applied = COALESCE(excluded.start_from_applied, checkpoints.start_from_applied)`,
      [job, to, startFrom, now],
    );
    await tx.run(
      `INSERT INTO checkpoint_moves (job, at, from_id, to_id, reason, holder, epoch)
       VALUES (?, ?, ?, ?, ?, ?, ${LEASE_EPOCH})`,
      [job, now, from, to, move.kind, fence?.holder ?? null, job],
    );
    return { kind: "moved", from } as const;
  });
}

/** The latest move (a replay, START_FROM, the first start), so a holder notices one made elsewhere. */
export async function lastMove(db: Db, job: JobId): Promise<{ id: number; reason: string } | null> {
  const row = await db.get<{ id: number | string; reason: string }>(
    "SELECT id, reason FROM checkpoint_moves WHERE job = ? ORDER BY id DESC LIMIT 1",
    [job],
  );
  return row ? { id: Number(row.id), reason: row.reason } : null;
}

interface MoveRow {
  id: unknown;
  at: string;
  from_id: string | null;
  to_id: string;
  reason: CheckpointMoveRecord["reason"];
  holder: string | null;
  epoch: unknown;
}

const optionalInt = (value: unknown) => (value === null || value === undefined ? null : int(value));

/** The latest moves, newest first: who moved the checkpoint, how, under which epoch. */
export async function listMoves(
  db: Db,
  job: JobId,
  limit: number,
): Promise<CheckpointMoveRecord[]> {
  const rows = await db.all<MoveRow>(
    `SELECT id, at, from_id, to_id, reason, holder, epoch FROM checkpoint_moves
     WHERE job = ? ORDER BY id DESC LIMIT ?`,
    [job, Math.min(10_000, Math.max(0, Math.floor(limit)))],
  );
  return rows.map((row) => ({
    id: int(row.id),
    at: row.at,
    from: row.from_id,
    to: row.to_id,
    reason: row.reason,
    holder: row.holder,
    epoch: optionalInt(row.epoch),
  }));
}
