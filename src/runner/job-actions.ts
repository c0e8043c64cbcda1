// What any process can say and do about any job, whether it holds the job or not: its state read
// from the store, and actions that go through the store to whichever replica holds it (run now,
// replay, schedule, switch). The dashboard and the CLI use these, never a runner directly.

import type { Logger } from "pino";
import { checkpointProblem, timeOfCheckpoint } from "../auth0/checkpoint.ts";
import type { JobConfig } from "../config/types.ts";
import { isExecution, type JobStore, type LeaseHolder, type RunRecord } from "../interfaces.ts";
import { newBudget } from "../util/retry.ts";
import { assembleJob } from "./assemble.ts";
import { type RetryOutcome, retryDeadLetters } from "./dead-letters.ts";
import { isEnabled, requestRunNow, setEnabled, storeSchedule } from "./job.ts";
import type { JobRunner, JobRunnerStatus } from "./job-runner.ts";
import { effectiveSchedule } from "./job-schedule.ts";
import { newStats } from "./once.ts";
import { parseSchedule } from "./schedule.ts";

/** A job's status as any replica reads it: its runner's (when held here) and the store's. */
export interface JobStatus extends JobRunnerStatus {
  id: string;
  /** The process that holds the job's lease and exports it; null when no one does right now. */
  holder: LeaseHolder | null;
  /** This process holds it. */
  here: boolean;
  checkpoint: string | null;
  checkpointTime: string | null;
  /**
   * Why the stored checkpoint cannot be read from (a time in the future, no time at all): then
   * every execution fails, and lagSeconds is null rather than a negative number.
   */
  checkpointProblem: string | null;
  /** How far the checkpoint's time is behind now; never negative. */
  lagSeconds: number | null;
  lastRun: RunRecord | null;
  deadLetters: { pending: number; resolved: number };
}

/**
 * Failed executions in a row, from the run history (skipped ticks, replays and verifications do
 * not count: a verification passing between two failed executions does not hide them).
 */
export function failuresInARow(runs: RunRecord[]): number {
  let count = 0;
  for (const run of runs) {
    if (run.outcome === "skipped" || !isExecution(run) || run.outcome === "running") continue;
    if (run.outcome !== "failed") break;
    count++;
  }
  return count;
}

export async function jobStatus(
  config: { id: string; schedule: string },
  store: JobStore,
  runner: JobRunner | undefined,
): Promise<JobStatus> {
  const [enabled, schedule, state, runs, holder, deadLetters] = await Promise.all([
    isEnabled(store),
    effectiveSchedule(store, config.schedule),
    store.checkpoints.get(),
    store.runs.list({ limit: 20 }),
    store.leases.holder(),
    store.deadLetters.count(),
  ]);
  const time = state.checkpoint ? timeOfCheckpoint(state.checkpoint) : null;
  const problem = state.checkpoint ? checkpointProblem(state.checkpoint) : null;
  const live = runner ? await runner.status() : null;
  return {
    id: config.id,
    enabled,
    schedule: live?.schedule ?? schedule.expression,
    scheduleSource: live?.scheduleSource ?? schedule.source,
    nextRunAt: enabled
      ? (live?.nextRunAt ?? parseSchedule(schedule.expression).next()?.toISOString() ?? null)
      : null,
    holder: holder?.holder ?? null,
    here: runner !== undefined,
    running: live?.running ?? null,
    consecutiveFailures: live?.consecutiveFailures ?? failuresInARow(runs),
    checkpoint: state.checkpoint,
    checkpointTime: time?.toISOString() ?? null,
    checkpointProblem: problem,
    // Within the clock skew a checkpoint may be a little ahead of this host's clock: no lag.
    lagSeconds:
      time && problem === null
        ? Math.max(0, Math.round((Date.now() - time.getTime()) / 1000))
        : null,
    lastRun: runs.find((run) => run.outcome !== "skipped") ?? runs[0] ?? null,
    deadLetters,
  };
}

export { setEnabled };

/**
 * Runs the job now: here, when this process holds it; otherwise asked of the holder through the
 * store, which it notices within a couple of seconds.
 */
export async function runNow(
  store: JobStore,
  runner: JobRunner | undefined,
): Promise<"started" | "running" | "requested"> {
  if (runner) {
    if (runner.running) return "running";
    void runner.tick("manual");
    return "started";
  }
  await requestRunNow(store);
  return "requested";
}

/** Re-sends dead letters: through the holder's sink when held here, else through a sink of its own. */
export async function resendDeadLetters(
  config: JobConfig,
  store: JobStore,
  runner: JobRunner | undefined,
  which: number[] | "all",
  logger: Logger,
): Promise<RetryOutcome> {
  if (runner) return runner.retryDeadLetters(which);
  const job = await assembleJob(config, { store, logger });
  try {
    return await retryDeadLetters(store, job.sink, which, {
      budget: newBudget(config.retryMaxTimeMs),
      stats: newStats(),
    });
  } finally {
    await job.close();
  }
}

/** A new schedule (validated by the caller), or null for SCHEDULE again; the holder follows. */
export async function changeSchedule(
  store: JobStore,
  runner: JobRunner | undefined,
  expression: string | null,
): Promise<void> {
  if (runner) return runner.schedule.change(expression);
  await storeSchedule(store, expression);
}
