// Decides which executions are worth a Slack message, so that an outage spanning many executions
// posts one alert, reminders at most every ALERT_REMINDER, and one "recovered" when it ends; and,
// with SLACK_SEND_SUCCESS, a tailing job's successes at most one per schedule period.

export interface AlertState {
  /** The cause of the current failure streak, or null when the last execution succeeded. */
  failingCause: string | null;
  /** When the streak started and when we last posted about it (epoch ms). */
  failingSince: number | null;
  lastPostedAt: number | null;
  failures: number;
  /** When a success (or recovery) was last posted; absent from states stored by older versions. */
  successPostedAt?: number | null;
}

export type AlertDecision = "failure" | "reminder" | "recovered" | "success" | null;

export const initialAlertState: AlertState = {
  failingCause: null,
  failingSince: null,
  lastPostedAt: null,
  failures: 0,
  successPostedAt: null,
};

/**
 * Reduces an error message to its cause, so that varying counts, ids or values do not look like
 * news. A sink's refusal names the document and quotes the refused value (Elasticsearch and
 * OpenSearch: "… in document with id 'x'. Preview of field's value: '…'"): one mapping conflict
 * over a thousand documents is one cause, while another field or type is another.
 */
export function causeOf(error: string): string {
  // A store that fails says how each time (read/written, reset/refused): one outage, one cause.
  const store = /^the store (\S+) could not be (?:read|written)/.exec(error);
  if (store) return `the store ${store[1]} failed`;
  return (
    error
      // The preview runs to the end of the reason: in a run warning, up to its fixed tail (as
      // util/run-warnings.ts deadLettersWarning writes it).
      .replace(
        /Preview of field's value: .*?(?=\); see 'dead-letters list'$|$)/s,
        "Preview of field's value: <value>",
      )
      .replace(/ in document with id (['"]).*?\1/g, " in document with id <id>")
      // Any other quoted text is a value; an apostrophe inside a word (field's) is not a quote.
      .replace(/(?<![\p{L}\p{N}])'[^'\n]*'/gu, "'<v>'")
      .replace(/"[^"\n]*"/g, '"<v>"')
      .replace(/\d{56}/g, "<checkpoint>")
      .replace(/\d+(\.\d+)?/g, "<n>")
      // Long enough that the field and type of a refusal survive the warning's preamble.
      .slice(0, 400)
  );
}

export function decide(
  state: AlertState,
  outcome: { ok: boolean; error: string | null },
  now: number,
  options: { reminderMs: number; sendSuccess: boolean; successSince?: number | undefined },
): { decision: AlertDecision; state: AlertState } {
  if (outcome.ok) {
    if (state.failingCause !== null) {
      return {
        decision: "recovered",
        state: { ...initialAlertState, lastPostedAt: now, successPostedAt: now },
      };
    }
    // Tailing succeeds every few seconds: one success a schedule period is news, not each poll.
    const since = options.successSince;
    const posted = state.successPostedAt ?? null;
    if (!options.sendSuccess || (since !== undefined && posted !== null && posted >= since)) {
      return { decision: null, state };
    }
    return { decision: "success", state: { ...state, successPostedAt: now } };
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
