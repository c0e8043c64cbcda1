// SCHEDULE is either a cron expression (5 or 6 fields, croner) or a plain interval such as "5m"
// (the rule: settings-kit/schedule.ts).
// A schedule only produces ticks; whether a tick runs an execution is the service's decision.

import { Cron } from "croner";
import { parseInterval, scheduleProblem } from "../settings-kit/schedule.ts";
import { type LongTimer, setLongTimeout } from "../util/timers.ts";

export interface Schedule {
  readonly expression: string;
  /** The next tick after `from`, or null when the schedule never fires again. */
  next(from?: Date): Date | null;
  /** Calls `tick` on every tick until stop() is called. */
  start(tick: () => void): void;
  stop(): void;
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
