// A replay moves the checkpoint on purpose and is recorded in the run history like an execution.

import { checkpointAt, checkpointProblem, timeProblem } from "../auth0/checkpoint.ts";
import {
  type Checkpoint,
  type JobStore,
  NO_COUNTS,
  type RecordedRun,
  type RunOutcome,
  type RunTrigger,
} from "../interfaces.ts";
import { retentionWarning } from "./warnings.ts";

/**
 * The checkpoint a replay moves to, from a log id or an ISO 8601 time, or why there is none. The
 * CLI (--from, --since) and the dashboard use the same rules.
 */
export function parseReplayTarget(
  input: { checkpoint?: unknown; since?: unknown },
  now = Date.now(),
): { checkpoint: Checkpoint } | { error: string } {
  const given = (value: unknown) =>
    typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  const id = given(input.checkpoint);
  const since = given(input.since);
  if (id !== undefined && since !== undefined)
    return { error: "give a checkpoint id or a time, not both" };
  if (id !== undefined) {
    const problem = checkpointProblem(id, now);
    return problem ? { error: problem } : { checkpoint: id };
  }
  if (since !== undefined) {
    const problem = timeProblem(since, now);
    return problem ? { error: problem } : { checkpoint: checkpointAt(new Date(since)) };
  }
  return { error: "give a checkpoint id or a time" };
}

/** A run record for something that moved no events: a replay, a skipped tick. */
export function instantRun(
  trigger: RunTrigger,
  outcome: RunOutcome,
  from: Checkpoint | null,
  to: Checkpoint | null,
  warnings: string[],
): RecordedRun {
  const now = new Date().toISOString();
  return {
    trigger,
    startedAt: now,
    endedAt: now,
    outcome,
    ...NO_COUNTS,
    retries: 0,
    firstCheckpoint: from,
    lastCheckpoint: to,
    warnings,
    error: null,
  };
}

export async function recordReplay(
  store: JobStore,
  checkpoint: Checkpoint,
  retentionMs: number,
  move: { kind: "replay" } | { kind: "start-from"; startFrom: string } = { kind: "replay" },
): Promise<{ previous: Checkpoint | null; runId: number; warnings: string[] }> {
  const previous = (await store.checkpoints.get()).checkpoint;
  await store.checkpoints.set(checkpoint, move);
  const warning = retentionWarning(checkpoint, retentionMs);
  const warnings = warning ? [warning] : [];
  if (move.kind === "start-from") warnings.unshift("moved by a new or changed START_FROM");
  const runId = await store.runs.record(
    instantRun("replay", "success", previous, checkpoint, warnings),
  );
  return { previous, runId, warnings };
}
