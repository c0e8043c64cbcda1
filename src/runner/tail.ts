// With TAIL=true a caught-up job polls again every TAIL_INTERVAL. Each poll used to be a run of its
// own: a run record, an INFO line and, with SLACK_SEND_SUCCESS, a Slack post every few seconds
// (some 17 000 records a day per tenant, the runs page covering minutes). Polls are not runs:
// - a poll that reads nothing, warns of nothing and does not fail records nothing: no run, a debug
//   line, no Slack. It still counts in the metrics (executions, lag, last success), so an idle
//   tailing tenant never looks stale to the alerts or the dashboard;
// - polls that export (or warn) fold into one run of trigger `tail`, updated in place: its counts,
//   last checkpoint, warnings and end move with each poll, and its commits carry the lease's epoch
//   as any run's do. A new tail run starts after any other execution, and once the open one spans
//   TAIL_RUN_SPAN, so that a run still covers a bounded time (the hourly chart, RUNS_RETENTION);
// - a poll that fails is never hidden: it ends the tail run as failed (or records a failed one when
//   none is open) and alerts like any failed execution; tailing then waits for the next SCHEDULE
//   tick, as before.
// Schedule ticks still run executions, each a run as without TAIL, so the run history and "last
// run" show the tenant alive once per period; a tail run's success reaches Slack at most once per
// schedule period (notify/alerts.ts).

import type { Checkpoint, JobStore, RunOutcome } from "../interfaces.ts";

/** The longest a tail run covers before the next poll that exports starts another. */
export const TAIL_RUN_SPAN_MS = 15 * 60_000;

/** The run tail polls fold into, and what it carries so far. */
export interface TailRun {
  runId: number;
  startedAt: number;
  /** Where its last poll left the checkpoint: the next poll folds into it only from there. */
  checkpoint: Checkpoint;
  retries: number;
  warnings: string[];
}

/** The tail run a poll starting now folds into: the open one, unless it spans TAIL_RUN_SPAN. */
export function foldTarget(open: TailRun | null, now = Date.now()): TailRun | null {
  return open && now - open.startedAt < TAIL_RUN_SPAN_MS ? open : null;
}

/** Whether a poll is worth a run record: it committed (or tried to), warned, or failed. */
export function pollRecorded(end: {
  committed: boolean;
  outcome: RunOutcome;
  warnings: string[];
}): boolean {
  return end.committed || end.outcome === "failed" || end.warnings.length > 0;
}

/**
 * Ends a recorded poll's part of run `runId`: the tail run it folded into (adding its retries and
 * warnings to the run's), or one it started. Returns the tail run the next poll folds into: this
 * one after a success, none after a failure or a stop (its end is the tail's end).
 */
export async function finishPoll(
  store: JobStore,
  into: TailRun | null,
  runId: number,
  end: {
    outcome: RunOutcome;
    retries: number;
    warnings: string[];
    error: string | null;
    checkpoint: Checkpoint;
  },
): Promise<TailRun | null> {
  const { checkpoint, ...ended } = end;
  const folded = into?.runId === runId ? into : null;
  const retries = (folded?.retries ?? 0) + end.retries;
  const warnings = [...new Set([...(folded?.warnings ?? []), ...end.warnings])];
  await store.runs.finish(runId, { ...ended, retries, warnings });
  if (end.outcome !== "success") return null;
  return { runId, startedAt: folded?.startedAt ?? Date.now(), checkpoint, retries, warnings };
}
