// Paces reads by Auth0's x-ratelimit-* headers. The bucket the logs endpoint draws from is shared:
// on Enterprise with every Management API caller of the tenant (the Dashboard, Terraform, the
// deploy CLI, Actions), and Auth0 writes an api_limit event into the tenant's own log at each 429
// and an api_limit_warning every minute a caller leaves the bucket under 20 % of its limit. So the
// pacer takes only its share (AUTH0_RATE_LIMIT_SHARE) of what the bucket gives:
// - its own reads go at most at `share` x the bucket's refill rate (a bucket of its own, `credit`,
//   holding at most the burst it may use and earned at that rate);
// - the bucket's remaining tokens, as the headers report them (other callers' use included), never
//   go under max((1 - share) x limit, 20 % x limit), the `floor`, because of a read of ours: one
//   goes out only when the bucket is estimated to hold a token above the floor.
// Two rates, two sources:
// - the bucket's own refill (what the share is a share of) from the reset header. It says when the
//   bucket is full again, i.e. now + (limit - tokens) / refill, rounded up to a whole second, and
//   tokens is remaining rounded down; so each answer bounds the refill interval from both sides
//   (refillBand), and the answers' bands intersect to a narrow one whatever the bucket's fill: a
//   full bucket read once still tells "one token short, full again in one interval". The pacer
//   paces by the band's middle. (Reads at a steady period that is a whole number of seconds see
//   the rounding at one phase only; the band then stays wider, its middle within ~20 %.)
// - the bucket's net gain (its refill less every caller's reads but ours) from the remaining
//   count's trajectory while the bucket is not full: (change of remaining + our reads) / time.
//   With another client spending, the floor is watched at that net rate.

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

/** What answers tell of the bucket's refill interval, in milliseconds per token: lo < it ≤ hi. */
export interface RefillBand {
  lo: number;
  hi: number;
}

/**
 * The band one granted read's answer allows. Auth0 computed it between `sentAt` and `answeredAt`,
 * after our read took a token: the bucket then missed D tokens, where remaining (rounded down)
 * gives limit - remaining - 1 < D ≤ limit - remaining, and D ≥ 1 since a whole token was taken
 * from a bucket at most full; it is full again D intervals later, which the reset rounds up to a
 * whole second. A full bucket read once still says "one token short, full in one interval".
 */
export function refillBand(rate: RateLimitHeaders, sentAt: number, answeredAt: number): RefillBand {
  const missing = rate.limit - rate.remaining;
  return {
    lo: Math.max(0, rate.resetAt - 1000 - answeredAt) / Math.max(1, missing),
    hi: Math.max(1, rate.resetAt - sentAt) / Math.max(1, missing - 1),
  };
}

/**
 * The narrowest band two allow; when they do not meet, the newer alone: the bucket changed (its
 * refill, or the plan) since the older answers, or did not count as the contract says.
 */
export function narrow(band: RefillBand | null, newer: RefillBand): RefillBand {
  if (!band) return newer;
  const lo = Math.max(band.lo, newer.lo);
  const hi = Math.min(band.hi, newer.hi);
  return lo <= hi ? { lo, hi } : newer;
}

interface Observation {
  at: number;
  remaining: number;
  /** Reads the bucket had granted us when this was observed. */
  granted: number;
}

/** Observations the trajectory looks back over, and the reads of ours it must span. */
const WINDOW = 40;
const MIN_SPAN = 10;
/** The net gain under this share of the refill: another caller spends the bucket. */
const OTHERS_SEEN = 0.9;

export class Pacer {
  readonly share: number;
  private readonly now: () => number;
  private last: (RateLimitHeaders & { at: number }) | null = null;
  private refill: RefillBand | null = null;
  private readonly history: Observation[] = [];
  private granted = 0;
  /** Reads the share still allows at once, as of `creditAt`; null until the limit is known. */
  private credit: number | null = null;
  private creditAt = 0;
  /** After a 429: no read before this. */
  private backoffUntil = 0;

  constructor(share = 1, now: () => number = Date.now) {
    this.share = share;
    this.now = now;
  }

  /** The band the recent answers allow for the refill interval; null before a granted read. */
  band(): RefillBand | null {
    return this.refill;
  }

  /**
   * The bucket's refill interval as estimated (milliseconds per token): the middle of the band,
   * else what the last reset header says on its own; null before any answer.
   */
  get interval(): number | null {
    const band = this.band();
    if (band) return (band.lo + band.hi) / 2;
    const last = this.last;
    if (!last) return null;
    return Math.max(1, last.resetAt - last.at) / Math.max(1, last.limit - last.remaining);
  }

  /**
   * Tokens per millisecond the bucket gained net of other callers' reads, over the newest stretch
   * of observations in which it was never full (a full bucket wastes refill); null when too short.
   * Zero or less: others alone spend what it gains.
   */
  private netGain(limit: number): number | null {
    const latest = this.history[this.history.length - 1];
    if (!latest) return null;
    let oldest: Observation | null = null;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const candidate = this.history[i] as Observation;
      // Remaining ≤ limit - 2 proves the bucket was not full before that read.
      if (candidate.remaining > limit - 2) break;
      oldest = candidate;
    }
    if (!oldest || latest.granted - oldest.granted < MIN_SPAN || latest.at <= oldest.at)
      return null;
    const gained = latest.remaining - oldest.remaining + (latest.granted - oldest.granted);
    return gained / (latest.at - oldest.at);
  }

  /** The credit now, earned at the share of the refill rate since it was last counted. */
  private creditNow(now: number, limit: number, interval: number): number {
    const capacity = Math.max(1, limit - floorOf(limit, this.share));
    const credit = this.credit ?? capacity;
    return Math.min(capacity, credit + (Math.max(0, now - this.creditAt) * this.share) / interval);
  }

  /**
   * An answer to a read sent at `sentAt` (the reset header is read against the time the bucket
   * answered: between sending and now). `granted` false: a 429.
   */
  observe(rate: RateLimitHeaders | null, granted = true, sentAt?: number): void {
    if (!rate) return;
    const now = this.now();
    if (this.last && this.last.limit !== rate.limit) {
      // Another bucket (the tenant's plan changed): what was learnt of the old one is void.
      this.refill = null;
      this.history.length = 0;
      this.credit = null;
    }
    if (!granted) {
      // Another caller drained the bucket (or our estimate was off): wait until it holds a token
      // above the floor again, half as long again to be sure, and never past the reset it names
      // (the bucket is full by then); the trajectory starts again.
      const missing = Math.max(1, floorOf(rate.limit, this.share) + 1 - rate.remaining);
      const wait = 1.5 * (this.interval ?? 1000) * missing;
      this.history.length = 0;
      this.last = { ...rate, at: now };
      this.backoffUntil = Math.min(now + wait, Math.max(now, rate.resetAt));
      return;
    }
    this.credit = this.creditNow(now, rate.limit, this.interval ?? 1000) - 1;
    this.creditAt = now;
    this.granted++;
    // The bucket answered between sending and now: its count is dated halfway.
    const at = sentAt === undefined ? now : (sentAt + now) / 2;
    this.last = { ...rate, at };
    this.refill = narrow(this.refill, refillBand(rate, sentAt ?? now, now));
    this.history.push({ at, remaining: rate.remaining, granted: this.granted });
    if (this.history.length > WINDOW) this.history.shift();
  }

  /** Milliseconds to wait before the next read. */
  delay(): number {
    const last = this.last;
    const interval = this.interval;
    if (!last || interval === null) return 0;
    const now = this.now();
    // The bucket, watched at its refill, or at its net gain when others spend it (counted from
    // the last remaining seen, rounded down: half a token of margin on average); with others,
    // one token more, as one of their reads may land between our decision and our read.
    const gross = 1 / interval;
    const net = this.netGain(last.limit);
    const gain = net === null ? gross : Math.min(gross, net);
    const others = net !== null && net < OTHERS_SEEN / interval;
    const needed = Math.min(last.limit, floorOf(last.limit, this.share) + (others ? 2 : 1));
    const tokens = last.remaining + Math.max(0, now - last.at) * Math.max(0, gain);
    let bucketAt = now;
    if (tokens < needed) {
      // Others alone keep it from regaining: probe again once the bucket could have filled.
      bucketAt =
        gain > 0 ? now + (needed - tokens) / gain : last.at + Math.max(1000, last.limit * interval);
    }
    // Our share: a whole read's worth of credit, earned at the share of the bucket's own refill.
    const credit = this.creditNow(now, last.limit, interval);
    const shareAt = credit >= 1 ? now : now + ((1 - credit) * interval) / this.share;
    return Math.max(0, bucketAt - now, shareAt - now, this.backoffUntil - now);
  }

  /** The bucket as last seen, for status, check and the metrics; null before any answer. */
  observed(): ObservedBucket | null {
    const last = this.last;
    if (!last) return null;
    const interval = this.interval;
    return {
      limit: last.limit,
      remaining: last.remaining,
      refillPerSecond: interval === null || interval <= 0 ? null : 1000 / interval,
      at: last.at,
    };
  }
}
