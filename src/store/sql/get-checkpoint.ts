import type { CheckpointState, JobId } from "../../interfaces.ts";
import type { Db } from "../db.ts";

export async function getCheckpoint(db: Db, job: JobId): Promise<CheckpointState> {
  const row = await db.get<{
    log_id: string | null;
    start_from_applied: string | null;
    updated_at: string | null;
  }>("SELECT log_id, start_from_applied, updated_at FROM checkpoints WHERE job = ?", [job]);
  return {
    checkpoint: row?.log_id ?? null,
    startFromApplied: row?.start_from_applied ?? null,
    updatedAt: row?.updated_at ?? null,
  };
}
