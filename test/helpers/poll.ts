// The one poll helper: a test waits on a condition it cannot be told about (a log line, a count in
// a fake, a lease row) by asking again until it holds or the time is up. Never a measure of speed.

import { setTimeout as sleep } from "node:timers/promises";

export interface PollOptions {
  /** How long to keep asking before failing the test (default 15 s). */
  timeoutMs?: number;
  /** What is awaited, for the failure's message: "timed out waiting until <what>". */
  what?: string;
  /** Between two asks (default 100 ms). */
  everyMs?: number;
}

/**
 * Asks `probe` until it answers something other than `undefined` or `false`, and returns that
 * answer: a boolean check resolves to `true`, a probe that finds a value (a line, a run) to it.
 */
export async function until<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 15_000, what, everyMs = 100 }: PollOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    if (Date.now() > deadline) {
      throw new Error(what ? `timed out waiting until ${what}` : "timed out waiting");
    }
    await sleep(everyMs);
  }
}
