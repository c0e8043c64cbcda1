// SCHEDULE is either a cron expression (5 or 6 fields, croner) or a plain interval such as "5m".
// A schedule only produces ticks; whether a tick runs an execution is the service's decision.

import { Cron } from "croner";
import { parseDuration } from "../config/duration.ts";
import { type LongTimer, setLongTimeout } from "../util/timers.ts";

/** An interval shorter would poll Auth0 for nothing; longer than Auth0's longest retention loses logs. */
export const MIN_INTERVAL_MS = 1000;
export const MAX_INTERVAL_MS = 30 * 86_400_000;

export interface Schedule {
  readonly expression: string;
  /** The next tick after `from`, or null when the schedule never fires again. */
  next(from?: Date): Date | null;
  /** Calls `tick` on every tick until stop() is called. */
  start(tick: () => void): void;
  stop(): void;
}

export function parseInterval(text: string): number | null {
  return parseDuration(text) ?? null;
}

/** Why an expression is not a usable schedule, or null. */
export function scheduleProblem(expression: string): string | null {
  const everyMs = parseInterval(expression);
  if (everyMs !== null) {
    return everyMs < MIN_INTERVAL_MS || everyMs > MAX_INTERVAL_MS
      ? "an interval must be from 1s to 30d (Auth0 keeps logs at most 30 days)"
      : null;
  }
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return "must be a cron expression of 5 or 6 fields or an interval from 1s to 30d such as 30s or 5m";
  }
  let cron: Cron;
  try {
    cron = new Cron(expression.trim(), { paused: true });
  } catch (error) {
    return `not a valid cron expression (${(error as Error).message})`;
  }
  return cron.nextRun() === null ? "this cron expression never fires" : null;
}

class IntervalSchedule implements Schedule {
  readonly expression: string;
  private readonly everyMs: number;
  private timer: LongTimer | null = null;
  private nextAt: number | null = null;

  constructor(expression: string, everyMs: number) {
    this.expression = expression;
    this.everyMs = everyMs;
  }

  next(from = new Date()): Date | null {
    return new Date(this.nextAt ?? from.getTime() + this.everyMs);
  }

  start(tick: () => void): void {
    // A chain of timeouts rather than setInterval, which turns delays over 24.8 days into 1 ms.
    const arm = () => {
      this.nextAt = Date.now() + this.everyMs;
      this.timer = setLongTimeout(() => {
        arm();
        tick();
      }, this.everyMs);
    };
    this.stop();
    arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.nextAt = null;
  }
}

class CronSchedule implements Schedule {
  readonly expression: string;
  private readonly cron: Cron;
  private running: Cron | null = null;

  constructor(expression: string) {
    this.expression = expression;
    this.cron = new Cron(expression, { paused: true });
  }

  next(from = new Date()): Date | null {
    return this.cron.nextRun(from);
  }

  start(tick: () => void): void {
    // No croner overlap protection here: the service itself skips, and records, overlapping ticks.
    this.stop();
    this.running = new Cron(this.expression, () => tick());
  }

  stop(): void {
    this.running?.stop();
    this.running = null;
  }
}

/** Throws the problem for an unusable expression; callers validate first (config, dashboard). */
export function parseSchedule(expression: string): Schedule {
  const problem = scheduleProblem(expression);
  if (problem) throw new Error(problem);
  const everyMs = parseInterval(expression);
  if (everyMs !== null) return new IntervalSchedule(expression.trim(), everyMs);
  return new CronSchedule(expression.trim());
}
