// One execution of an assembled job: a fresh retry budget and counters, then runExecution.

import type { Logger } from "pino";
import type { ObservedBucket } from "../auth0/pacer.ts";
import type { JobSettings } from "../config/types.ts";
import { describe } from "../errors.ts";
import type { ExecutionStats, Fence, JobStore, RunTrigger } from "../interfaces.ts";
import { newBudget } from "../util/retry.ts";
import type { Job } from "./assemble.ts";
import {
  type ExecutionDeps,
  type ExecutionResult,
  type Progress,
  runExecution,
} from "./execution.ts";
import { recordBucket } from "./job.ts";

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
}

export async function executeOnce(
  options: OnceOptions,
): Promise<ExecutionResult & { stats: ExecutionStats; bucket: ObservedBucket | null }> {
  const { config, job, store, logger } = options;
  const stats = newStats();
  const result = await runExecution({
    settings: config,
    store,
    source: job.source,
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
  const bucket = job.source.pacer.observed();
  if (bucket) {
    const refill = bucket.refillPerSecond;
    await recordBucket(store, {
      ...bucket,
      at: new Date(bucket.at).toISOString(),
      share: config.rateLimitShare,
      ceilingPerMinute:
        refill === null ? null : Math.round(config.rateLimitShare * refill * 60 * config.batchSize),
    }).catch((error) => logger.debug(`the rate limit seen was not recorded: ${describe(error)}`));
  }
  return { ...result, stats, bucket };
}
