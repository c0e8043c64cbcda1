// Paces reads by Auth0's x-ratelimit-* headers so that 429s stay rare: the bucket is shared with
// the tenant's dashboard and every 429 writes an api_limit event into the tenant's own log.
//
// While the bucket holds more than a small reserve, reads go out at once. Near the reserve they
// are spaced by the refill interval, estimated from the headers: the reset names (rounded up to a
// whole second) when the bucket will be full, so (reset - 0.5 s - now) / deficit is an unbiased
// estimate per observation, smoothed over many. Holding the reserve above zero means a slightly
// low estimate drains the reserve instead of earning 429s.

export interface RateLimitHeaders {
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the bucket is full again. */
  resetAt: number;
}

export function parseRateLimit(
  headers: Record<string, string | string[] | undefined>,
): RateLimitHeaders | null {
  const read = (name: string) => {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    const number = Number(text);
    return text === undefined || text === "" || !Number.isFinite(number) ? null : number;
  };
  const limit = read("x-ratelimit-limit");
  const remaining = read("x-ratelimit-remaining");
  const reset = read("x-ratelimit-reset");
  if (limit === null || remaining === null || reset === null || limit <= 0) return null;
  return { limit, remaining: Math.max(0, remaining), resetAt: reset * 1000 };
}

export class Pacer {
  /** Smoothed milliseconds per token; null until the headers allowed an estimate. */
  interval: number | null = null;
  private nextAt = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  private reserve(limit: number): number {
    return Math.min(2, Math.max(0, Math.floor(limit / 5)));
  }

  observe(rate: RateLimitHeaders | null): void {
    if (!rate) return;
    const now = this.now();
    const deficit = rate.limit - rate.remaining - 0.5;
    if (deficit >= 1 && rate.resetAt > now) {
      const estimate = Math.max(0, rate.resetAt - 500 - now) / deficit;
      // Estimates from a nearly full bucket carry most of the rounding error: weigh them less.
      const weight = Math.min(0.3, deficit / rate.limit / 2);
      this.interval =
        this.interval === null ? estimate : this.interval + weight * (estimate - this.interval);
    }
    const reserve = this.reserve(rate.limit);
    if (rate.remaining > reserve) {
      this.nextAt = now;
    } else {
      // Below the reserve, wait a little longer so that the reserve refills.
      const interval =
        this.interval ?? Math.max(0, rate.resetAt - now) / Math.max(1, rate.limit - rate.remaining);
      const behind = reserve - rate.remaining;
      this.nextAt = now + interval * (1 + behind * 0.5);
    }
  }

  /** Milliseconds to wait before the next read. */
  delay(): number {
    return Math.max(0, this.nextAt - this.now());
  }
}
