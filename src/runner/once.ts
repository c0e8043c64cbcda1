// One execution of an assembled job: a fresh retry budget and counters, then runExecution. With a
// Log Stream, the execution is the sweep: it stops LOG_STREAM_SWEEP_DELAY behind now, leaves out
// what the record of delivered ids has, and prunes that record once it caught up.

import type { Logger } from "pino";
import { checkpointAt } from "../auth0/checkpoint.ts";
import type { JobSettings } from "../config/types.ts";
import { describe } from "../errors.ts";
import type {
  Checkpoint,
  ExecutionStats,
  Fence,
  JobStore,
  Page,
  ReadContext,
  RunTrigger,
  Source,
} from "../interfaces.ts";
import { newBudget } from "../util/retry.ts";
import type { Job } from "./assemble.ts";
import {
  type ExecutionDeps,
  type ExecutionResult,
  type Progress,
  runExecution,
} from "./execution.ts";
import { sweepSource } from "./sweep-source.ts";

/**
 * How long a stream may deliver an event again: Auth0 re-drives a failed delivery until it pauses
 * the stream, after 7 days of failures.
 */
export const STREAM_REDELIVERY_MS = 7 * 86_400_000;

/**
 * Below which the record of delivered ids may forget: ids the sweep will not read again (before
 * its checkpoint) and that a stream no longer re-delivers (older than a week).
 */
export function deliveredPruneBefore(checkpoint: Checkpoint, now = Date.now()): Checkpoint {
  const redelivered = checkpointAt(new Date(now - STREAM_REDELIVERY_MS));
  return checkpoint < redelivered ? checkpoint : redelivered;
}

export function newStats(): ExecutionStats {
  return { retries: { source: 0, sink: 0 }, rateLimited: { source: 0, sink: 0 } };
}

export interface OnceOptions {
  config: JobSettings;
  job: Job;
  store: JobStore;
  logger: Logger;
  trigger: RunTrigger;
  fence: Fence | null;
  stop?: AbortSignal | undefined;
  abandon?: AbortSignal | undefined;
  onProgress?: (progress: Progress) => void;
  poll?: ExecutionDeps["poll"];
  /**
   * Warnings found beside the execution (the Log Stream's health: stream-health.ts), which never
   * rejects: they join the run's warnings at its first read.
   */
  notices?: Promise<string[]> | undefined;
}

/**
 * The source, giving `notices` to the execution's warn with its first read: the execution keeps
 * its warnings to itself, and its reader's context is how anything beside it adds one. Read
 * concurrently, so that the notices cost the execution no time.
 */
export function withNotices(source: Source, notices: Promise<string[]>): Source {
  let pending: Promise<string[]> | null = notices;
  return {
    firstRead: (from) => source.firstRead(from),
    authenticate: (context) => source.authenticate(context),
    close: () => source.close(),
    async read(url: string, context: ReadContext): Promise<Page> {
      const waiting = pending;
      if (waiting === null) return source.read(url, context);
      pending = null;
      const page = source.read(url, context);
      page.catch(() => {});
      for (const notice of await waiting.catch(() => [])) context.warn?.(notice);
      return page;
    },
  };
}

export async function executeOnce(
  options: OnceOptions,
): Promise<ExecutionResult & { stats: ExecutionStats }> {
  const { config, job, store, logger } = options;
  const stream = config.logStream;
  const stats = newStats();
  // A sweep source per execution: it ends its pass, not the job's.
  const swept = stream ? sweepSource(job.source, stream.sweepDelayMs) : job.source;
  const source = options.notices ? withNotices(swept, options.notices) : swept;
  const result = await runExecution({
    settings: config,
    store,
    source,
    delivered: stream ? store.delivered : undefined,
    sink: job.sink,
    batcher: job.batcher,
    logger,
    stats,
    budget: newBudget(config.retryMaxTimeMs),
    trigger: options.trigger,
    fence: options.fence,
    stop: options.stop,
    abandon: options.abandon,
    onProgress: options.onProgress,
    poll: options.poll,
    onRetry: (side, message, delayMs) =>
      logger.warn({ side, delayMs }, `${message}; retrying in ${(delayMs / 1000).toFixed(1)}s`),
  });
  if (stream && result.outcome === "success") {
    // Not the execution's failure: the record only stays larger until the next sweep prunes it.
    await store.delivered.prune(deliveredPruneBefore(result.checkpoint)).then(
      (pruned) => logger.debug({ pruned }, "delivered ids pruned"),
      (error) => logger.warn(`the record of delivered ids could not be pruned: ${describe(error)}`),
    );
  }
  return { ...result, stats };
}
