// One execution: read from the checkpoint until caught up, sending each page as a batch and
// committing the checkpoint only after the sink acknowledged it. This is the one place that orders
// read, send and commit. Pages are read ahead (at most READ_AHEAD) while the current batch is
// being sent; one batch is in flight at a time, and commits happen in page order.

import type { Logger } from "pino";
import { checkpointAt, timeOfCheckpoint } from "../auth0/checkpoint.ts";
import type { Config } from "../config/types.ts";
import { AbortedError, CheckpointMovedError, describe, LeaseLostError } from "../errors.ts";
import type {
  Batch,
  Checkpoint,
  ExecutionStats,
  Fence,
  RunOutcome,
  RunTrigger,
  Sink,
  Source,
  Store,
} from "../interfaces.ts";
import { makeBatcher } from "../pipeline/batch.ts";
import { mask } from "../util/secrets.ts";
import { ReadAhead } from "./read-ahead.ts";
import { retentionWarning, staleWarning } from "./warnings.ts";

/** Pages read ahead of the batch being sent: enough to hide reading behind sending. */
const READ_AHEAD = 2;

export interface Progress {
  read: number;
  sent: number;
  filtered: number;
  batches: number;
  checkpoint: Checkpoint;
  /** How far the checkpoint is behind now, by the time embedded in it. */
  lagMs: number | null;
}

export interface ExecutionResult extends Progress {
  runId: number;
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
}

export interface ExecutionDeps {
  config: Config;
  store: Store;
  source: Source;
  sink: Sink;
  logger: Logger;
  stats: ExecutionStats;
  trigger: RunTrigger;
  /** The lease this process holds the job by; every commit is fenced by it. */
  fence: Fence | null;
  /** Stops reading; the batch in flight may still be acknowledged and committed. */
  stop?: AbortSignal | undefined;
  /** Abandons the batch in flight as well. */
  abandon?: AbortSignal | undefined;
  onProgress?: (progress: Progress) => void;
  /** Warnings raised by the source or sink during the execution are pushed here. */
  warnings?: string[];
}

/** The checkpoint to read from: START_FROM when new or changed, else the stored one, else a look-back. */
export async function resolveCheckpoint(
  config: Config,
  store: Store,
  logger: Logger,
): Promise<Checkpoint> {
  const state = await store.getCheckpoint();
  if (config.startFrom !== undefined && config.startFrom !== state.startFromApplied) {
    await store.setCheckpoint(config.startFrom, {
      kind: "start-from",
      startFrom: config.startFrom,
    });
    logger.info({ checkpoint: config.startFrom, previous: state.checkpoint }, "applied START_FROM");
    return config.startFrom;
  }
  if (state.checkpoint !== null) return state.checkpoint;
  // Stored at once: a first execution that fails must not let the look-back window slide forward.
  const initial = checkpointAt(new Date(Date.now() - config.initialLookbackMs));
  await store.setCheckpoint(initial, { kind: "initial", lookbackMs: config.initialLookbackMs });
  logger.info({ checkpoint: initial }, "no checkpoint yet: starting from the initial look-back");
  return initial;
}

export function lagOf(checkpoint: Checkpoint, now = Date.now()): number | null {
  const time = timeOfCheckpoint(checkpoint);
  return time ? Math.max(0, now - time.getTime()) : null;
}

export async function runExecution(deps: ExecutionDeps): Promise<ExecutionResult> {
  const { config, store, source, sink, logger, stats, stop, abandon } = deps;
  const started = Date.now();
  const warnings = deps.warnings ?? [];
  await store.verify();
  const startCheckpoint = await resolveCheckpoint(config, store, logger);
  const runId = await store.startRun(deps.trigger, startCheckpoint);
  const progress: Progress = {
    read: 0,
    sent: 0,
    filtered: 0,
    batches: 0,
    checkpoint: startCheckpoint,
    lagMs: lagOf(startCheckpoint),
  };
  const batcher = makeBatcher(config);

  const commit = async (batch: Batch) => {
    await store.commit(runId, progress.checkpoint, batch, batch.documents.length, deps.fence);
    progress.read += batch.read;
    progress.sent += batch.documents.length;
    progress.filtered += batch.filtered;
    progress.batches++;
    progress.checkpoint = batch.checkpoint;
    progress.lagMs = lagOf(batch.checkpoint);
    logger.debug({ checkpoint: batch.checkpoint, sent: batch.documents.length }, "batch committed");
    deps.onProgress?.({ ...progress });
  };

  let outcome: RunOutcome = "success";
  let error: string | null = null;
  const warn = (message: string | null) => {
    if (message === null) return;
    logger.warn(message);
    warnings.push(message);
  };
  let replayed = false;
  let leaseLost = false;
  const reader = new ReadAhead(source, source.firstRead(startCheckpoint), {
    limit: READ_AHEAD,
    stop,
  });
  try {
    for (let first = true; ; first = false) {
      const page = await reader.next();
      if (first && !page.caughtUp) {
        warn(retentionWarning(startCheckpoint, config.auth0LogRetentionMs));
      }
      if (page.caughtUp || page.next === null) {
        warn(staleWarning(progress.checkpoint, config.staleAfterMs));
        break;
      }
      const batch = batcher(page.events);
      if (batch.documents.length > 0) await sink.send(batch, abandon);
      await commit(batch);
    }
  } catch (caught) {
    // A lost lease aborts the batch in flight; the abort's reason says so.
    const failure = abandon?.reason instanceof LeaseLostError ? abandon.reason : caught;
    replayed = failure instanceof CheckpointMovedError;
    leaseLost = failure instanceof LeaseLostError;
    outcome = failure instanceof AbortedError || replayed || leaseLost ? "aborted" : "failed";
    error = mask(describe(failure));
  } finally {
    reader.close();
  }
  const retries = stats.retries.source + stats.retries.sink;
  const unique = [...new Set(warnings.map(mask))];
  await store.finishRun(runId, { outcome, retries, warnings: unique, error });
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
  };
}
