// A move of the checkpoint that is not a delivery (a replay, START_FROM, the first look-back),
// recorded with its reason: a running execution tells a replay from a lost lease by it.

import type { Checkpoint, CheckpointMove, JobId } from "../../interfaces.ts";
import type { Db } from "../db.ts";

export async function moveCheckpoint(
  db: Db,
  job: JobId,
  to: Checkpoint,
  move: CheckpointMove,
  now: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const current = await tx.get<{ log_id: string | null }>(
      "SELECT log_id FROM checkpoints WHERE job = ?",
      [job],
    );
    const startFrom = move.kind === "start-from" ? move.startFrom : null;
    await tx.run(
      `INSERT INTO checkpoints (job, log_id, start_from_applied, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET log_id = excluded.log_id, updated_at = excluded.updated_at,
         start_from_applied = COALESCE(excluded.start_from_applied, checkpoints.start_from_applied)`,
      [job, to, startFrom, now],
    );
    await tx.run(
      "INSERT INTO checkpoint_moves (job, at, from_id, to_id, reason) VALUES (?, ?, ?, ?, ?)",
      [job, now, current?.log_id ?? null, to, move.kind],
    );
  });
}

export async function lastMove(db: Db, job: JobId): Promise<{ id: number; reason: string } | null> {
  const row = await db.get<{ id: number | string; reason: string }>(
    "SELECT id, reason FROM checkpoint_moves WHERE job = ? ORDER BY id DESC LIMIT 1",
    [job],
  );
  return row ? { id: Number(row.id), reason: row.reason } : null;
}
