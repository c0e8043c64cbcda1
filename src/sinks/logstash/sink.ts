// The Logstash sink: one POST of a JSON array per batch over a keep-alive connection, retried with
// the shared backoff until acknowledged or the execution's retry budget is spent.

import type { Agent } from "undici";
import { SinkError } from "../../errors.ts";
import type { Batch, ExecutionStats, Sink } from "../../interfaces.ts";
import { newAgent } from "../../util/http.ts";
import { type RetryBudget, withRetry } from "../../util/retry.ts";
import type { LogstashSinkConfig } from "./config.ts";
import { encodeBatch } from "./encoder.ts";
import { postBatch } from "./service.ts";

export interface LogstashSinkOptions {
  config: LogstashSinkConfig;
  budget: RetryBudget;
  stats: ExecutionStats;
  onRetry?: (message: string, delayMs: number) => void;
}

export class LogstashSink implements Sink {
  private readonly options: LogstashSinkOptions;
  private readonly agent: Agent;

  constructor(options: LogstashSinkOptions) {
    this.options = options;
    this.agent = newAgent(options.config.timeoutMs);
  }

  async send(batch: Batch, signal?: AbortSignal): Promise<void> {
    const body = encodeBatch(batch.documents);
    await this.post(body, signal);
  }

  async check(signal?: AbortSignal): Promise<void> {
    await postBatch(this.agent, this.options.config, "[]", signal);
  }

  private async post(body: string, signal?: AbortSignal): Promise<void> {
    const { budget, stats, onRetry } = this.options;
    await withRetry(() => postBatch(this.agent, this.options.config, body, signal), {
      budget,
      signal,
      onRetry: ({ delayMs, error }) => {
        stats.retries.sink++;
        if (error instanceof SinkError && error.status === 429) stats.rateLimited.sink++;
        onRetry?.(error instanceof Error ? error.message : String(error), delayMs);
      },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
