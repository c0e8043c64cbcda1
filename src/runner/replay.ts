// A replay moves the checkpoint on purpose and is recorded in the run history like an execution.

import {
  checkpointAt,
  checkpointProblem,
  timeOfCheckpoint,
  timeProblem,
} from "../auth0/checkpoint.ts";
import {
  type Checkpoint,
  type JobStore,
  NO_COUNTS,
  type RecordedRun,
  type RunOutcome,
  type RunTrigger,
} from "../interfaces.ts";
import { duration } from "../util/duration-text.ts";
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

/** A time for people: "2026-11-24 08:00:00", without the date when `sameDayAs` shares it. */
function clock(time: Date, sameDayAs?: Date): string {
  const text = time.toISOString().replace("T", " ").slice(0, 19);
  return sameDayAs && sameDayAs.toISOString().slice(0, 10) === text.slice(0, 10)
    ? text.slice(11)
    : text;
}

/**
 * What moving the checkpoint from `from` to `to` skips, for people, or null when it skips nothing
 * (no checkpoint yet, or a move back). Only the span is knowable: how many events it holds, only
 * Auth0 could say.
 */
export function skippedSpan(from: Checkpoint | null, to: Checkpoint): string | null {
  if (from === null || to <= from) return null;
  const [start, end] = [timeOfCheckpoint(from), timeOfCheckpoint(to)];
  if (!start || !end) return `every event after ${from} up to ${to} not sent yet`;
  return `every event between ${clock(start)} and ${clock(end, start)} UTC (${duration(end.getTime() - start.getTime())}) not sent yet`;
}

export type ReplayResult =
  | {
      moved: true;
      previous: Checkpoint | null;
      runId: number;
      warnings: string[];
      /** What a move forward skipped (skippedSpan), else null. */
      skipped: string | null;
    }
  /** Refused: it would have moved forward without `skip`; nothing moved. */
  | { moved: false; previous: Checkpoint; skips: string };

/**
 * Moves the checkpoint on a person's request and records it. A move forward skips the events not
 * sent yet between the two checkpoints for good: refused unless `skip` says the person meant it
 * (decided in the move's transaction), and then recorded as "skipped-events", naming the span and
 * `by` (how the person said so).
 */
export async function recordReplay(
  store: JobStore,
  checkpoint: Checkpoint,
  retentionMs: number,
  options: { skip: boolean; by: string },
): Promise<ReplayResult> {
  const { moved, from } = await store.checkpoints.set(checkpoint, {
    kind: "replay",
    skip: options.skip,
  });
  const skipped = skippedSpan(from, checkpoint);
  if (!moved) return { moved: false, previous: from as Checkpoint, skips: skipped as string };
  const warnings: string[] = [];
  if (skipped) warnings.push(`skipped ${skipped}, for good (${options.by})`);
  const warning = retentionWarning(checkpoint, retentionMs);
  if (warning) warnings.push(warning);
  const outcome = skipped ? "skipped-events" : "success";
  const runId = await store.runs.record(instantRun("replay", outcome, from, checkpoint, warnings));
  return { moved: true, previous: from, runId, warnings, skipped };
}
