// The rule for a SCHEDULE value: a cron expression (5 or 6 fields, croner) or a plain interval such
// as "5m". Here, below the settings and the runner both: the settings validate with it, and the
// runner's schedules (runner/schedule.ts) are made only from expressions it accepts.

import { Cron } from "croner";
import { parseDuration } from "./duration.ts";

/** An interval shorter would poll Auth0 for nothing; longer than Auth0's longest retention loses logs. */
export const MIN_INTERVAL_MS = 1000;
export const MAX_INTERVAL_MS = 30 * 86_400_000;

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
