// The period `verify` compares, from its arguments: --since (an ISO 8601 time, or a duration back
// from now such as 24h) or --from (a checkpoint), and --until (the same forms as --since). A period
// starting before the tenant's AUTH0_LOG_RETENTION is refused: Auth0 no longer has those events,
// so "missing" could not be told from "gone at Auth0".

import { checkpointAt, checkpointProblem, timeOfCheckpoint } from "../auth0/checkpoint.ts";
import type { Checkpoint } from "../interfaces.ts";
import { durationText, parseDuration } from "../settings-kit/duration.ts";

/** Without --since or --from: the last day, or the retention when shorter. */
export const DEFAULT_VERIFY_WINDOW_MS = 86_400_000;

export interface VerifyPeriod {
  from: Checkpoint;
  /** The start, as a time. */
  start: Date;
  until: Date;
}

/** A time argument: ISO 8601 with a date, or a duration back from `now`; or why it is neither. */
export function timeArgument(text: string, now: number): Date | string {
  const back = parseDuration(text);
  if (back !== undefined) return new Date(now - back);
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time.getTime())) {
    return "not an ISO 8601 time (2026-11-24T08:00:00Z) nor a duration back from now (24h, 90m, 7d)";
  }
  if (time.getTime() > now) return `${time.toISOString()} is in the future`;
  return time;
}

/**
 * The period, or the problem with its arguments, naming the argument (a usage error: exit 2).
 */
export function verifyPeriod(
  args: { since?: string | undefined; from?: string | undefined; until?: string | undefined },
  retentionMs: number,
  now = Date.now(),
): VerifyPeriod | { problem: string } {
  const shown = (text: string) => JSON.stringify(text.slice(0, 80));
  if (args.since !== undefined && args.from !== undefined) {
    return { problem: "--since and --from: give one of them, not both" };
  }
  let from: Checkpoint;
  let start: Date;
  let flag = "--since";
  if (args.from !== undefined) {
    flag = "--from";
    const problem = checkpointProblem(args.from, now);
    if (problem) return { problem: `--from: ${shown(args.from)}: ${problem}` };
    from = args.from;
    start = timeOfCheckpoint(from) as Date;
  } else {
    const time =
      args.since === undefined
        ? new Date(now - Math.min(DEFAULT_VERIFY_WINDOW_MS, retentionMs))
        : timeArgument(args.since, now);
    if (typeof time === "string")
      return { problem: `--since: ${shown(args.since ?? "")}: ${time}` };
    start = time;
    from = checkpointAt(time);
  }
  let until = new Date(now);
  if (args.until !== undefined) {
    const time = timeArgument(args.until, now);
    if (typeof time === "string") return { problem: `--until: ${shown(args.until)}: ${time}` };
    until = time;
  }
  if (until.getTime() <= start.getTime()) {
    return {
      problem: `--until: ${until.toISOString()} is not after the start of the period (${start.toISOString()})`,
    };
  }
  const oldest = now - retentionMs;
  if (start.getTime() < oldest) {
    return {
      problem: `${flag}: the period starts at ${start.toISOString()}, before what Auth0 keeps (AUTH0_LOG_RETENTION=${durationText(retentionMs)}: nothing older than ${new Date(oldest).toISOString()}); Auth0 no longer has those events to compare the index with. Verify from ${new Date(oldest + 60_000).toISOString()} on, or set AUTH0_LOG_RETENTION to your plan's retention`,
    };
  }
  return { from, start, until };
}
