// The one retry policy of the exporter: exponential backoff with full jitter, or the instant a rate
// limit names, bounded by the time budget of the execution; data is never dropped to make progress.

import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError, describe, ExporterError, isRetryable } from "../errors.ts";

export interface RetryBudget {
  /** Milliseconds that retries may wait in total during one execution. */
  readonly limitMs: number;
  spentMs: number;
}

export interface RetryOptions {
  budget: RetryBudget;
  signal?: AbortSignal | undefined;
  baseMs?: number;
  capMs?: number;
  /** Called before each wait, for counting and logging. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  now?: () => number;
  random?: () => number;
}

export function newBudget(limitMs: number): RetryBudget {
  return { limitMs, spentMs: 0 };
}

/** The wait before attempt `attempt` (1-based): full jitter over an exponential ceiling. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const {
    budget,
    signal,
    baseMs = 250,
    capMs = 30_000,
    now = Date.now,
    random = Math.random,
  } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortedError();
    try {
      return await operation();
    } catch (error) {
      if (signal?.aborted) throw new AbortedError();
      if (!isRetryable(error)) throw error;
      let delayMs = backoffDelay(attempt, baseMs, capMs, random);
      if (error instanceof ExporterError && error.retryAt !== undefined) {
        // A rate limit names when it resets: waiting less only earns another 429.
        delayMs = Math.max(error.retryAt - now(), 0) + Math.round(random() * 250);
      }
      if (budget.spentMs + delayMs > budget.limitMs) {
        const spent = Math.round((budget.spentMs + delayMs) / 1000);
        throw new ExporterError(
          `gave up after retrying for ${spent}s (RETRY_MAX_TIME): ${describe(error)}`,
          { retryable: false, cause: error },
        );
      }
      budget.spentMs += delayMs;
      options.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        throw new AbortedError();
      }
    }
  }
}

/** What a source or sink call carries to retry: the execution's budget, counters and signal. */
export interface RetryContext {
  signal?: AbortSignal | undefined;
  budget: RetryBudget;
  stats: {
    retries: { source: number; sink: number };
    rateLimited: { source: number; sink: number };
  };
  onRetry?: ((message: string, delayMs: number) => void) | undefined;
}

/**
 * withRetry with the execution's accounting done once for every caller: each retry is counted for
 * its side, a 429 also as rate limiting, and reported to onRetry (the logs).
 */
export function retryFor(side: "source" | "sink", context: RetryContext): RetryOptions {
  return {
    budget: context.budget,
    signal: context.signal,
    onRetry: ({ delayMs, error }) => {
      context.stats.retries[side]++;
      if (error instanceof ExporterError && error.status === 429) context.stats.rateLimited[side]++;
      context.onRetry?.(describe(error), delayMs);
    },
  };
}
