// Paces reads by Auth0's x-ratelimit-* headers so that 429s stay rare: the bucket is shared with
// the tenant's dashboard and every 429 writes an api_limit event into the tenant's own log.
//
// While the bucket holds more than a small reserve, reads go out at once (the burst). Near the
// reserve they are spaced by the refill interval. That interval is measured from the remaining
// count's own trajectory — tokens now = tokens then - reads since + refill — which is exact up to
// one token over the window; the reset header (whole seconds) only seeds it, since its rounding
// is coarse against fast buckets. Holding a reserve above zero means a slightly low estimate
// drains the reserve instead of earning a 429, and a 429 still lengthens the interval.

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

interface Observation {
  at: number;
  remaining: number;
  /** Reads the bucket had granted us when this was observed. */
  granted: number;
}

const WINDOW = 40;
/** Granted reads a trajectory must span before it is trusted over the reset header. */
const MIN_SPAN = 10;

export class Pacer {
  /** Milliseconds per token; null until the headers allowed an estimate. */
  interval: number | null = null;
  private nextAt = 0;
  private granted = 0;
  private readonly history: Observation[] = [];
  /** Reset-header estimates, weighted by the square of the deficit they were made at. */
  private headerWeight = 0;
  private headerSum = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Tokens kept back: a low estimate then drains the reserve instead of earning a 429. */
  private reserve(limit: number): number {
    return limit < 3 ? 0 : Math.max(1, Math.min(2, Math.floor(limit / 10)));
  }

  /** Refill interval from the oldest observation since which the bucket was never full. */
  private measured(limit: number): number | null {
    const latest = this.history[this.history.length - 1];
    if (!latest) return null;
    let oldest: Observation | null = null;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const candidate = this.history[i] as Observation;
      // Remaining ≤ limit - 2 proves the bucket was not full before that read: a full bucket
      // wastes refill, which would make the rate look lower than it is.
      if (candidate.remaining > limit - 2) break;
      oldest = candidate;
    }
    if (!oldest || latest.granted - oldest.granted < MIN_SPAN) return null;
    const refilled = latest.remaining - oldest.remaining + (latest.granted - oldest.granted);
    if (refilled <= 0) return null;
    return (latest.at - oldest.at) / refilled;
  }

  observe(rate: RateLimitHeaders | null, granted = true): void {
    if (!rate) return;
    const now = this.now();
    if (!granted) {
      // Our estimate was too low: back off before trusting it again.
      this.interval = (this.interval ?? 100) * 1.5;
      this.history.length = 0;
      this.headerWeight = 0;
      this.headerSum = 0;
      return;
    }
    this.granted++;
    this.history.push({ at: now, remaining: rate.remaining, granted: this.granted });
    if (this.history.length > WINDOW) this.history.shift();
    // The reset is rounded up to a whole second (half a second on average) and the remaining
    // count down to a whole token (half a token on average): correct both.
    const deficit = rate.limit - rate.remaining - 0.5;
    if (deficit >= 1 && rate.resetAt > now) {
      const estimate = Math.max(0, rate.resetAt - 500 - now) / deficit;
      this.headerWeight += deficit * deficit;
      this.headerSum += deficit * deficit * estimate;
    }
    const measured = this.measured(rate.limit);
    if (measured !== null) this.interval = measured;
    else if (this.headerWeight > 0) this.interval = this.headerSum / this.headerWeight;
    const reserve = this.reserve(rate.limit);
    if (rate.remaining > reserve) {
      this.nextAt = now;
    } else {
      const interval =
        this.interval ?? Math.max(0, rate.resetAt - now) / Math.max(1, rate.limit - rate.remaining);
      this.nextAt = now + interval * (1 + (reserve - rate.remaining) * 0.5);
    }
  }

  /** Milliseconds to wait before the next read. */
  delay(): number {
    return Math.max(0, this.nextAt - this.now());
  }
}
