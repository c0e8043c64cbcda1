// The token bucket of a simulated Auth0 endpoint, as contracts.md §3 describes Auth0's: a burst
// refilled at a steady rate, reported in the x-ratelimit-* headers (remaining in whole tokens, the
// reset in whole seconds). Like Auth0 it notes every minute in which a request left it under 20 %
// of its limit (Auth0 then writes api_limit_warning into the tenant's log), whoever made the
// request: the exporter, or a second client spending the same bucket (the Dashboard, Terraform).

export interface RateLimit {
  burst: number;
  perSecond: number;
}

/** Auth0 writes api_limit_warning when a request leaves the bucket under this share of it. */
export const WARNING_LINE = 0.2;

export class Bucket {
  private tokens: number;
  private last: number;
  readonly limit: RateLimit;
  private readonly now: () => number;
  /** Minutes (epoch ms / 60 000, rounded down) in which a request left the bucket under 20 %. */
  readonly warningMinutes = new Set<number>();
  /** The lowest the bucket was left at by a granted request, in tokens. */
  lowest: number;
  /** Called at the first request of each minute that leaves the bucket under 20 %. */
  onWarning: (() => void) | null = null;

  constructor(limit: RateLimit, now: () => number = Date.now) {
    this.limit = limit;
    this.tokens = limit.burst;
    this.lowest = limit.burst;
    this.now = now;
    this.last = now();
  }

  private refill(now: number): void {
    this.tokens = Math.min(
      this.limit.burst,
      this.tokens + ((Math.max(now, this.last) - this.last) / 1000) * this.limit.perSecond,
    );
    this.last = Math.max(now, this.last);
  }

  /** One request: true when granted (a token taken), false when it gets a 429. */
  take(): boolean {
    const now = this.now();
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    this.lowest = Math.min(this.lowest, this.tokens);
    if (this.tokens < WARNING_LINE * this.limit.burst) {
      const minute = Math.floor(now / 60_000);
      if (!this.warningMinutes.has(minute)) {
        this.warningMinutes.add(minute);
        this.onWarning?.();
      }
    }
    return true;
  }

  headers(): Record<string, string> {
    const now = this.now();
    this.refill(now);
    const fullIn = (this.limit.burst - this.tokens) / this.limit.perSecond;
    return {
      "x-ratelimit-limit": String(this.limit.burst),
      "x-ratelimit-remaining": String(Math.floor(this.tokens)),
      "x-ratelimit-reset": String(Math.ceil(now / 1000 + fullIn)),
    };
  }
}

/**
 * Another client of the same bucket (the Dashboard, Terraform, the deploy CLI): one request every
 * 1/perSecond seconds, counting those granted and those refused (its own 429s).
 */
export class SecondClient {
  granted = 0;
  refused = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(bucket: () => Bucket, perSecond: number) {
    this.timer = setInterval(() => {
      if (bucket().take()) this.granted++;
      else this.refused++;
    }, 1000 / perSecond);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
