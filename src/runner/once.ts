// One execution of an assembled job: a fresh retry budget and counters, then runExecution.

import type { Logger } from "pino";
import type { JobSettings } from "../config/types.ts";
import type {
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
  const stats = newStats();
  const result = await runExecution({
    settings: config,
    store,
    source: options.notices ? withNotices(job.source, options.notices) : job.source,
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
  return { ...result, stats };
}
