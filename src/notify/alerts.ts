// Decides which executions are worth a Slack message, so that an outage spanning many executions
// posts one alert, reminders at most every ALERT_REMINDER, and one "recovered" when it ends.

export interface AlertState {
  /** The cause of the current failure streak, or null when the last execution succeeded. */
  failingCause: string | null;
  /** When the streak started and when we last posted about it (epoch ms). */
  failingSince: number | null;
  lastPostedAt: number | null;
  failures: number;
}

export type AlertDecision = "failure" | "reminder" | "recovered" | "success" | null;

export const initialAlertState: AlertState = {
  failingCause: null,
  failingSince: null,
  lastPostedAt: null,
  failures: 0,
};

/** Reduces an error message to its cause, so that varying counts or ids do not look like news. */
export function causeOf(error: string): string {
  // A store that fails says how each time (read/written, reset/refused): one outage, one cause.
  const store = /^the store (\S+) could not be (?:read|written)/.exec(error);
  if (store) return `the store ${store[1]} failed`;
  return error
    .replace(/\d{56}/g, "<checkpoint>")
    .replace(/\d+(\.\d+)?/g, "<n>")
    .slice(0, 200);
}

export function decide(
  state: AlertState,
  outcome: { ok: boolean; error: string | null },
  now: number,
  options: { reminderMs: number; sendSuccess: boolean },
): { decision: AlertDecision; state: AlertState } {
  if (outcome.ok) {
    if (state.failingCause !== null) {
      return { decision: "recovered", state: { ...initialAlertState, lastPostedAt: now } };
    }
    return { decision: options.sendSuccess ? "success" : null, state };
  }
  const cause = causeOf(outcome.error ?? "unknown error");
  if (state.failingCause !== cause) {
    return {
      decision: "failure",
      state: {
        failingCause: cause,
        failingSince: state.failingSince ?? now,
        lastPostedAt: now,
        failures: state.failures + 1,
      },
    };
  }
  const next = { ...state, failures: state.failures + 1 };
  if (state.lastPostedAt === null || now - state.lastPostedAt >= options.reminderMs) {
    return { decision: "reminder", state: { ...next, lastPostedAt: now } };
  }
  return { decision: null, state: next };
}
