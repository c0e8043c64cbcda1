// Wires one execution: a source and a sink sharing one retry budget, then runExecution.

import type { Logger } from "pino";
import { Auth0Source } from "../auth0/source.ts";
import type { Config } from "../config/types.ts";
import type { ExecutionStats, Fence, RunTrigger, Store } from "../interfaces.ts";
import { logstashSinkConfig } from "../sinks/logstash/config.ts";
import { LogstashSink } from "../sinks/logstash/sink.ts";
import { newAgent } from "../util/http.ts";
import { newBudget } from "../util/retry.ts";
import { type ExecutionResult, type Progress, runExecution } from "./execution.ts";

export function newStats(): ExecutionStats {
  return { retries: { source: 0, sink: 0 }, rateLimited: { source: 0, sink: 0 } };
}

export interface OnceOptions {
  config: Config;
  store: Store;
  logger: Logger;
  trigger: RunTrigger;
  fence: Fence | null;
  stop?: AbortSignal | undefined;
  abandon?: AbortSignal | undefined;
  onProgress?: (progress: Progress) => void;
}

export async function executeOnce(
  options: OnceOptions,
): Promise<ExecutionResult & { stats: ExecutionStats }> {
  const { config, store, logger } = options;
  const stats = newStats();
  const budget = newBudget(config.retryMaxTimeMs);
  const warnings: string[] = [];
  const agent = newAgent(config.requestTimeoutMs);
  const onRetry = (side: string) => (message: string, delayMs: number) =>
    logger.warn({ side, delayMs }, `${message}; retrying in ${(delayMs / 1000).toFixed(1)}s`);
  const source = new Auth0Source({
    ...config.auth0,
    batchSize: config.batchSize,
    store,
    dispatcher: agent,
    budget,
    stats,
    onRetry: onRetry("auth0"),
    onWarning: (message) => {
      if (!warnings.includes(message)) logger.warn(message);
      warnings.push(message);
    },
  });
  const sink = new LogstashSink({
    config: logstashSinkConfig(config),
    budget,
    stats,
    onRetry: onRetry("logstash"),
  });
  try {
    const result = await runExecution({
      config,
      store,
      source,
      sink,
      logger,
      stats,
      trigger: options.trigger,
      fence: options.fence,
      stop: options.stop,
      abandon: options.abandon,
      onProgress: options.onProgress,
      warnings,
    });
    return { ...result, stats };
  } finally {
    await Promise.allSettled([sink.close(), agent.close()]);
  }
}
