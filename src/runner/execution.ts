// One execution: read from the checkpoint until caught up, sending each page as a batch and
// committing the checkpoint only once the sink accounted for every document of it: acknowledged, or
// refused for good and stored as a dead letter in the same transaction. This is the one place that
// orders read, send and commit. Pages are read ahead (at most READ_AHEAD) while batches are sent;
// up to the sink's concurrency are in flight (Logstash 1, Elasticsearch 2); commits in page order.
// With a Log Stream, each batch leaves out what the record of delivered ids has, and its commit
// records what it delivered.

import type { Logger } from "pino";
import { checkpointAt, timeOfCheckpoint } from "../auth0/checkpoint.ts";
import { AbortedError, CheckpointMovedError, describe, LeaseLostError } from "../errors.ts";
import type {
  Checkpoint,
  DeliveredIds,
  DeliveryReport,
  ExecutionStats,
  Fence,
  JobStore,
  RunCounts,
  RunOutcome,
  RunTrigger,
  Sink,
  Source,
} from "../interfaces.ts";
import type { Batcher } from "../pipeline/batch.ts";
import type { RetryBudget } from "../util/retry.ts";
import { deadLettersWarning } from "../util/run-warnings.ts";
import { mask } from "../util/secrets.ts";
import { deliver } from "./deliver.ts";
import { InFlight } from "./in-flight.ts";
import { ReadAhead } from "./read-ahead.ts";
import { acknowledgedIds, type SweepBatch, withoutDelivered } from "./sweep-batch.ts";
import { finishPoll, pollRecorded, type TailRun } from "./tail.ts";
import { retentionWarning, staleWarning } from "./warnings.ts";

/** Pages read ahead of the batch being sent: enough to hide reading behind sending. */
const READ_AHEAD = 2;

export interface Progress extends RunCounts {
  checkpoint: Checkpoint;
  /** How far the checkpoint is behind now, by the time embedded in it. */
  lagMs: number | null;
}

export interface ExecutionResult extends Progress {
  /** Its run record; null for a tail poll that had nothing to record (tail.ts). */
  runId: number | null;
  outcome: RunOutcome;
  startCheckpoint: Checkpoint;
  retries: number;
  warnings: string[];
  error: string | null;
  durationMs: number;
  /** A replay moved the checkpoint during this execution, which stopped to let it stand. */
  replayed: boolean;
  /** Another process took the job over: this one stopped and must not start again by itself. */
  leaseLost: boolean;
  /** After a tail poll, the tail run the next poll folds into (tail.ts); null otherwise. */
  tailRun: TailRun | null;
}

/** The settings an execution reads. */
export interface ExecutionSettings {
  startFrom: string | undefined;
  initialLookbackMs: number;
  auth0LogRetentionMs: number;
  staleAfterMs: number;
}

export interface ExecutionDeps {
  settings: ExecutionSettings;
  store: JobStore;
  source: Source;
  sink: Sink;
  batcher: Batcher;
  logger: Logger;
  stats: ExecutionStats;
  budget: RetryBudget;
  trigger: RunTrigger;
  /** The lease this process holds the job by; every commit is fenced by it. */
  fence: Fence | null;
  /** Stops reading; the batch in flight may still be acknowledged and committed. */
  stop?: AbortSignal | undefined;
  /** Abandons the batch in flight as well. */
  abandon?: AbortSignal | undefined;
  onProgress?: (progress: Progress) => void;
  onRetry?: (side: "auth0" | "sink", message: string, delayMs: number) => void;
  /** A tail poll, and the tail run it folds into: recorded only when worth it (tail.ts). */
  poll?: { into: TailRun | null } | undefined;
  /**
   * The record of delivered ids, for a tenant with a Log Stream (none otherwise, and then no call
   * to it): what it has is not sent again, and what a commit delivered is recorded by the commit.
   */
  delivered?: DeliveredIds | undefined;
}

/**
 * The checkpoint to read from: START_FROM when new or changed, else the stored one, else a
 * look-back. Its moves are fenced by the lease like commits: a process that lost the job must not
 * move another holder's checkpoint (LeaseLostError, nothing moved).
 */
export async function resolveCheckpoint(
  settings: ExecutionSettings,
  store: JobStore,
  logger: Logger,
  fence: Fence | null,
): Promise<Checkpoint> {
  const state = await store.checkpoints.get();
  if (settings.startFrom !== undefined && settings.startFrom !== state.startFromApplied) {
    await store.checkpoints.set(
      settings.startFrom,
      { kind: "start-from", startFrom: settings.startFrom },
      fence,
    );
    logger.info(
      { checkpoint: settings.startFrom, previous: state.checkpoint },
      "applied START_FROM",
    );
    return settings.startFrom;
  }
  if (state.checkpoint !== null) return state.checkpoint;
  // Stored at once: a first execution that fails must not let the look-back window slide forward.
  const initial = checkpointAt(new Date(Date.now() - settings.initialLookbackMs));
  await store.checkpoints.set(
    initial,
    { kind: "initial", lookbackMs: settings.initialLookbackMs },
    fence,
  );
  logger.info({ checkpoint: initial }, "no checkpoint yet: starting from the initial look-back");
  return initial;
}

export function lagOf(checkpoint: Checkpoint, now = Date.now()): number | null {
  const time = timeOfCheckpoint(checkpoint);
  return time ? Math.max(0, now - time.getTime()) : null;
}

export async function runExecution(deps: ExecutionDeps): Promise<ExecutionResult> {
  const { settings, store, source, logger, stats, stop, abandon } = deps;
  const started = Date.now();
  const warnings: string[] = [];
  const warn = (message: string | null) => {
    if (message === null) return;
    if (!warnings.includes(message)) logger.warn(message);
    warnings.push(message);
  };
  await store.verify();
  const startCheckpoint = await resolveCheckpoint(settings, store, logger, deps.fence);
  const { poll } = deps;
  // An execution is a run from its start; a tail poll only once it has something to record, into
  // the tail run if it goes on from where that run left the checkpoint (a replay may have moved it).
  const into = poll?.into?.checkpoint === startCheckpoint ? poll.into : null;
  let runId = poll
    ? (into?.runId ?? null)
    : await store.runs.start(deps.trigger, startCheckpoint, deps.fence);
  let starting: Promise<number> | null = null;
  const run = (): Promise<number> => {
    if (runId !== null) return Promise.resolve(runId);
    starting ??= store.runs.start(deps.trigger, startCheckpoint, deps.fence).then((id) => {
      runId = id;
      return id;
    });
    return starting;
  };
  let committed = false;
  const progress: Progress = {
    read: 0,
    sent: 0,
    filtered: 0,
    streamed: 0,
    rejected: 0,
    batches: 0,
    checkpoint: startCheckpoint,
    lagMs: lagOf(startCheckpoint),
  };

  /** The sweep's claims on ids not committed yet: released by their commit, or at the end. */
  const held = new Set<() => void>();
  const commit = async (batch: SweepBatch, report: DeliveryReport) => {
    committed = true;
    const counts: RunCounts = {
      read: batch.read,
      sent: report.delivered,
      filtered: batch.filtered,
      streamed: batch.streamed,
      rejected: report.rejected.length,
      batches: 1,
    };
    await store.checkpoints.commit(
      await run(),
      progress.checkpoint,
      {
        checkpoint: batch.checkpoint,
        counts,
        deadLetters: report.rejected,
        sink: deps.sink.info.target,
        delivered: deps.delivered ? acknowledgedIds(batch.payload, report) : undefined,
      },
      deps.fence,
    );
    for (const [type, count] of Object.entries(batch.limitEvents ?? {})) {
      stats.limitEvents ??= {};
      stats.limitEvents[type] = (stats.limitEvents[type] ?? 0) + count;
    }
    for (const key of ["read", "sent", "filtered", "streamed", "rejected", "batches"] as const) {
      progress[key] += counts[key];
    }
    if (batch.release) {
      batch.release();
      held.delete(batch.release);
    }
    progress.checkpoint = batch.checkpoint;
    progress.lagMs = lagOf(batch.checkpoint);
    if (report.rejected.length > 0) {
      const [first] = report.rejected;
      warn(deadLettersWarning(report.rejected.length, deps.sink.info.target, first).text);
    }
    logger.debug({ checkpoint: batch.checkpoint, ...counts }, "batch committed");
    deps.onProgress?.({ ...progress });
  };

  let outcome: RunOutcome = "success";
  let error: string | null = null;
  let replayed = false;
  let leaseLost = false;
  const reader = new ReadAhead(source, source.firstRead(startCheckpoint), {
    limit: READ_AHEAD,
    stop,
    context: {
      signal: stop,
      budget: deps.budget,
      stats,
      onRetry: (message, delayMs) => deps.onRetry?.("auth0", message, delayMs),
      warn,
    },
  });
  const window = new InFlight<SweepBatch>(deps.sink.info.concurrency ?? 1, commit);
  let caught: unknown = null;
  try {
    for (let first = true; ; first = false) {
      const page = await reader.next();
      if (first && !page.caughtUp) {
        warn(retentionWarning(startCheckpoint, settings.auth0LogRetentionMs));
      }
      if (page.caughtUp || page.next === null) {
        await window.drain();
        // Not at every poll: the executions on the SCHEDULE say it once per period.
        if (!poll) warn(staleWarning(progress.checkpoint, settings.staleAfterMs));
        break;
      }
      const pageBatch = deps.batcher(page.events);
      // Asked before each send, not once: the stream keeps delivering while the sweep reads. Held
      // from the question until the commit recorded them, so that a push carrying the same events
      // meanwhile waits and then finds them recorded, rather than sending them too.
      let batch: SweepBatch;
      if (deps.delivered) {
        const release = await deps.delivered.claim(pageBatch.payload.ids, abandon);
        held.add(release);
        batch = {
          ...withoutDelivered(pageBatch, await deps.delivered.known(pageBatch.payload.ids)),
          release,
        };
      } else batch = { ...pageBatch, streamed: 0 };
      await window.add(batch, () =>
        deliver(deps.sink, batch.payload, {
          signal: abandon,
          budget: deps.budget,
          stats,
          onRetry: (message, delayMs) => deps.onRetry?.("sink", message, delayMs),
        }),
      );
    }
  } catch (error) {
    caught = error;
    // A stop or a read failure does not waste what was sent: commit it, in order, unless a send
    // failed (then nothing behind it may be committed).
    await window.drain().catch(() => {});
    await window.abandon();
  } finally {
    reader.close();
    for (const release of held) release();
  }
  if (caught !== null) {
    // A lost lease aborts the batch in flight; the abort's reason says so.
    const failure = abandon?.reason instanceof LeaseLostError ? abandon.reason : caught;
    replayed = failure instanceof CheckpointMovedError;
    leaseLost = failure instanceof LeaseLostError;
    outcome = failure instanceof AbortedError || replayed || leaseLost ? "aborted" : "failed";
    error = mask(describe(failure));
  }
  const retries = stats.retries.source + stats.retries.sink;
  const unique = [...new Set(warnings.map(mask))];
  const end = { outcome, retries, warnings: unique, error };
  let tailRun: TailRun | null = null;
  if (!poll) await store.runs.finish(await run(), end);
  else if (pollRecorded({ ...end, committed })) {
    tailRun = await finishPoll(store, into, await run(), {
      ...end,
      checkpoint: progress.checkpoint,
    });
  } else {
    runId = null;
    tailRun = into;
  }
  return {
    ...progress,
    runId,
    outcome,
    startCheckpoint,
    retries,
    warnings: unique,
    error,
    durationMs: Date.now() - started,
    replayed,
    leaseLost,
    tailRun,
  };
}
