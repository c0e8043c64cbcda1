// A replay moves the checkpoint on purpose and is recorded in the run history like an execution.

import type { Checkpoint, Store } from "../interfaces.ts";
import { retentionWarning } from "./warnings.ts";

export async function recordReplay(
  store: Store,
  checkpoint: Checkpoint,
  retentionMs: number,
  move: { kind: "replay" } | { kind: "start-from"; startFrom: string } = { kind: "replay" },
): Promise<{ previous: Checkpoint | null; runId: number; warnings: string[] }> {
  const previous = (await store.getCheckpoint()).checkpoint;
  await store.setCheckpoint(checkpoint, move);
  const warning = retentionWarning(checkpoint, retentionMs);
  const warnings = warning ? [warning] : [];
  if (move.kind === "start-from") warnings.unshift("moved by a new or changed START_FROM");
  const now = new Date().toISOString();
  const runId = await store.recordRun({
    trigger: "replay",
    startedAt: now,
    endedAt: now,
    outcome: "success",
    read: 0,
    sent: 0,
    filtered: 0,
    batches: 0,
    retries: 0,
    firstCheckpoint: previous,
    lastCheckpoint: checkpoint,
    warnings,
    error: null,
  });
  return { previous, runId, warnings };
}
