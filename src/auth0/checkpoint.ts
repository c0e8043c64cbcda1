// Auth0 log ids: 56 digits, "900" + YYYYMMDDhhmmss (indexing time, UTC) + 39 digits. They compare
// correctly as strings, and one built from a time is a valid "start from this moment" checkpoint.

import { timeOfLogId } from "../util/log-id.ts";

export const CHECKPOINT_PATTERN = /^\d{56}$/;

/** How far ahead of our clock an id's time may be: clocks differ a little, not by years. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export function isCheckpoint(value: string, now = Date.now()): boolean {
  return checkpointProblem(value, now) === null;
}

/**
 * Why a value cannot become a checkpoint, or null: the one rule for every id that can reach one
 * (an event of a logs page, START_FROM, a replay target; Log Streams' ids when they come). Ids
 * compare as strings and a checkpoint only moves forward, so one id that sorts after every id
 * Auth0 will ever assign (another prefix than "900", a time in the future, a time that is no time)
 * would make every later execution read nothing while the tenant keeps logging.
 */
export function checkpointProblem(value: unknown, now = Date.now()): string | null {
  if (typeof value !== "string" || !CHECKPOINT_PATTERN.test(value) || !value.startsWith("900")) {
    return 'not an Auth0 log id: expected 56 digits, "900" + YYYYMMDDhhmmss + 39 digits';
  }
  const time = timeOfCheckpoint(value);
  if (time === null) return "its digits 4 to 17 are not a valid time (YYYYMMDDhhmmss, UTC)";
  if (time.getTime() > now + CLOCK_SKEW_MS) {
    return `its time ${time.toISOString()} is in the future (this host's clock says ${new Date(now).toISOString()}): nothing would be read after it`;
  }
  return null;
}

/** Why a time cannot be a replay target, or null: ISO 8601 with a date, not in the future. */
export function timeProblem(text: string, now = Date.now()): string | null {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time.getTime())) {
    return "not an ISO 8601 time (example: 2026-11-24T08:00:00Z)";
  }
  if (time.getTime() > now) return `${time.toISOString()} is in the future`;
  return null;
}

/** The checkpoint that means "everything after this instant" (second precision). */
export function checkpointAt(time: Date): string {
  const stamp = time.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `900${stamp}${"0".repeat(39)}`;
}

/** The indexing time embedded in a log id, or null when the id does not hold a valid time. */
export function timeOfCheckpoint(id: string): Date | null {
  return timeOfLogId(id);
}
