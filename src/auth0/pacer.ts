// Paces reads by Auth0's x-ratelimit-* headers. The bucket the logs endpoint draws from is shared:
// on Enterprise with every Management API caller of the tenant (the Dashboard, Terraform, the
// deploy CLI, Actions), and Auth0 writes an api_limit event into the tenant's own log at each 429
// and an api_limit_warning every minute a caller leaves the bucket under 20 % of its limit. So the
// pacer takes only its share (AUTH0_RATE_LIMIT_SHARE) of what the bucket gives:
// - its own reads go at most at `share` × the refill rate (a bucket of its own, `credit`, holding
//   at most the burst it may use and refilled at that rate);
// - the bucket's remaining tokens, as the headers report them (other callers' use included), never
//   go under max((1 - share) × limit, 20 % × limit), the `floor`: a read goes out only when the
//   bucket is estimated to hold a token above it.
// The refill interval is measured from the remaining count's own trajectory — tokens now = tokens
// then - reads since + refill — which is exact up to one token over the window, and is the net
// refill when other callers spend too (so the pacer slows down for them); the reset header (whole
// seconds) only seeds it. The remaining count is rounded down, so the estimate of the bucket is
// low by half a token on average: the margin that keeps a slightly short interval above the floor.

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

/** The bucket as the pacer last saw it: what `status`, `check` and the metrics show. */
export interface ObservedBucket {
  limit: number;
  remaining: number;
  /** Tokens per second the bucket refills with, as estimated; null before any estimate. */
  refillPerSecond: number | null;
  /** Epoch milliseconds of the answer that said so. */
  at: number;
}

/** The default share: half of the refill (docs/decisions.md, "A fair share of the bucket"). */
export const DEFAULT_SHARE = 0.5;

/** Auth0 writes api_limit_warning when a caller leaves a bucket under this share of its limit. */
export const WARNING_LINE = 0.2;

/**
 * The fewest tokens the pacer leaves in a bucket of `limit`: (1 - share) of it and never under the
 * warning line, in whole tokens (the headers count whole tokens); at most limit - 1, or a bucket
 * of 2 would never be read at a small share.
 */
export function floorOf(limit: number, share: number): number {
  if (limit <= 1) return 0;
  const tokens = Math.max((1 - share) * limit, WARNING_LINE * limit);
  // (1 - 0.7) * 10 is 3.0000000000000004: a rounding error must not cost a token.
  return Math.min(limit - 1, Math.ceil(tokens - 1e-9));
}

interface Observation {
  at: number;
  remaining: number;
  /** Reads the bucket had granted us when this was observed. */
  granted: number;
}

const WINDOW = 40;
/** Granted reads a trajectory must span before it is trusted. */
const MIN_SPAN = 10;

export class Pacer {
  /**
   * Milliseconds per token the bucket gains, net of other callers' reads (the trajectory), else
   * its refill interval by the reset headers; null until the headers allowed an estimate.
   */
  interval: number | null = null;
  /** Milliseconds per token the bucket refills with, by its reset headers; null until known. */
  refill: number | null = null;
  readonly share: number;
  private last: (RateLimitHeaders & { at: number }) | null = null;
  /** Reads the share still allows at once, as of `creditAt`; null until the limit is known. */
  private credit: number | null = null;
  private creditAt = 0;
  /** After a 429: no read before this. */
  private backoffUntil = 0;
  private granted = 0;
  private readonly history: Observation[] = [];
  private headerWeight = 0;
  private headerSum = 0;
  private readonly now: () => number;

  constructor(share = 1, now: () => number = Date.now) {
    this.share = share;
    this.now = now;
  }

  /** Net refill interval from the oldest observation since which the bucket was never full. */
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

  /**
   * The bucket's own refill interval by its reset headers: each answer's time to full over the
   * tokens missing, corrected for their rounding (the reset up to a whole second, half a second
   * on average; remaining down to a whole token, half a token on average) and weighted by the
   * square of the tokens missing (the rounding weighs less on a longer time to full). A bucket read
   * under its refill rate stays full and says little: the estimate from its last drain stands.
   */
  private headerEstimate(rate: RateLimitHeaders, now: number): void {
    const deficit = rate.limit - rate.remaining - 0.5;
    if (deficit < 1 || rate.resetAt <= now) return;
    const estimate = Math.max(0, rate.resetAt - 500 - now) / deficit;
    this.headerWeight += deficit * deficit;
    this.headerSum += deficit * deficit * estimate;
    this.refill = this.headerSum / this.headerWeight;
  }

  /** The interval to pace the bucket by: the estimate, else what the last reset header says. */
  private pace(): number {
    if (this.interval !== null) return this.interval;
    const last = this.last;
    if (!last) return 1000;
    const missing = Math.max(1, last.limit - last.remaining);
    return Math.max(1, last.resetAt - last.at) / missing;
  }

  /** The interval our share is earned by: the bucket's own refill, else the pacing interval. */
  private refillInterval(): number {
    return this.refill ?? this.pace();
  }

  /** The credit now, refilled at the share of the refill rate since it was last counted. */
  private creditNow(now: number, limit: number): number {
    const capacity = Math.max(1, limit - floorOf(limit, this.share));
    const credit = this.credit ?? capacity;
    const earned = (Math.max(0, now - this.creditAt) * this.share) / this.refillInterval();
    return Math.min(capacity, credit + earned);
  }

  observe(rate: RateLimitHeaders | null, granted = true): void {
    if (!rate) return;
    const now = this.now();
    if (!granted) {
      // Our estimate was too high (or another caller drained the bucket): back off before
      // trusting it again.
      this.interval = this.pace() * 1.5;
      this.history.length = 0;
      this.headerWeight = 0;
      this.headerSum = 0;
      this.last = { ...rate, at: now };
      this.backoffUntil = now + this.interval * (floorOf(rate.limit, this.share) + 1);
      return;
    }
    // One read of ours went out: it spent a unit of the share.
    this.credit = this.creditNow(now, rate.limit) - 1;
    this.creditAt = now;
    this.granted++;
    this.last = { ...rate, at: now };
    this.history.push({ at: now, remaining: rate.remaining, granted: this.granted });
    if (this.history.length > WINDOW) this.history.shift();
    this.headerEstimate(rate, now);
    const measured = this.measured(rate.limit);
    // The trajectory, exact up to a token over its window, is the bucket's net gain (other
    // callers' reads taken off): it paces the bucket when known, the reset headers otherwise.
    const net = measured ?? this.refill;
    if (net !== null) this.interval = net;
  }

  /** Milliseconds to wait before the next read. */
  delay(): number {
    const last = this.last;
    const now = this.now();
    if (!last) return 0;
    // The bucket: one token above the floor before the read, so that it leaves the floor.
    const missing = floorOf(last.limit, this.share) + 1 - last.remaining;
    const bucketAt = missing > 0 ? last.at + missing * this.pace() : now;
    // Our share: a whole read's worth of credit, earned at the share of the bucket's own refill.
    const credit = this.creditNow(now, last.limit);
    const shareAt = credit >= 1 ? now : now + ((1 - credit) * this.refillInterval()) / this.share;
    return Math.max(0, bucketAt - now, shareAt - now, this.backoffUntil - now);
  }

  /** The bucket as last seen, for status, check and the metrics; null before any answer. */
  observed(): ObservedBucket | null {
    const last = this.last;
    if (!last) return null;
    const interval = this.refill ?? this.interval;
    return {
      limit: last.limit,
      remaining: last.remaining,
      refillPerSecond: interval === null || interval <= 0 ? null : 1000 / interval,
      at: last.at,
    };
  }
}
