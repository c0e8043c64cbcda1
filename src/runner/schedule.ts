// SCHEDULE is either a cron expression (5 or 6 fields, croner) or a plain interval such as "5m".
// A schedule only produces ticks; whether a tick runs an execution is the service's decision.

import { Cron } from "croner";

const INTERVAL = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export interface Schedule {
  readonly expression: string;
  /** The next tick after `from`, or null when the schedule never fires again. */
  next(from?: Date): Date | null;
  /** Calls `tick` on every tick until stop() is called. */
  start(tick: () => void): void;
  stop(): void;
}

export function parseInterval(text: string): number | null {
  const match = INTERVAL.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

class IntervalSchedule implements Schedule {
  readonly expression: string;
  private readonly everyMs: number;
  private timer: NodeJS.Timeout | null = null;
  private nextAt: number | null = null;

  constructor(expression: string, everyMs: number) {
    this.expression = expression;
    this.everyMs = everyMs;
  }

  next(from = new Date()): Date | null {
    return new Date(this.nextAt ?? from.getTime() + this.everyMs);
  }

  start(tick: () => void): void {
    this.nextAt = Date.now() + this.everyMs;
    this.timer = setInterval(() => {
      this.nextAt = Date.now() + this.everyMs;
      tick();
    }, this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
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
    this.running = new Cron(this.expression, () => tick());
  }

  stop(): void {
    this.running?.stop();
    this.running = null;
  }
}

/** Throws croner's message for an invalid cron expression; callers validate first (config). */
export function parseSchedule(expression: string): Schedule {
  const everyMs = parseInterval(expression);
  if (everyMs !== null) {
    if (everyMs < 1000) throw new Error("an interval of at least 1s");
    return new IntervalSchedule(expression, everyMs);
  }
  return new CronSchedule(expression.trim());
}
