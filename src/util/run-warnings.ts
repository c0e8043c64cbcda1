// A run's warnings are kept as text: the run record, the dashboard, the CLI and Slack show them as
// they are, and the store keeps them so. Each still has a kind, so that what reacts to one (Slack's
// "documents refused" alert) matches on the kind rather than on a sentence. A stored warning's kind
// is read back by the pattern of the writer below, in the same module, so that rewording one
// cannot silently break the other; anything else is "other".

/** What a warning is about, for what reacts to it. */
export type WarningKind = "dead-letters" | "log-stream" | "other";

export interface RunWarning {
  kind: WarningKind;
  text: string;
}

/** How the dead-letters warning begins and what it says, as deadLettersWarning writes it. */
const DEAD_LETTERS = /^\d+ document\(s\) refused by .* and kept as dead letters \(first: /s;

/** Documents of a committed batch refused by the sink for good and stored as dead letters. */
export function deadLettersWarning(
  count: number,
  sink: string,
  first: { status: number; reason: string } | undefined,
): RunWarning {
  return {
    kind: "dead-letters",
    text: `${count} document(s) refused by ${sink} and kept as dead letters (first: ${first?.status} ${first?.reason}); see 'dead-letters list'`,
  };
}

/**
 * How the Log Stream warnings begin, as logStreamWarning and logStreamResumed write them: told to
 * Slack once per episode (runner/stream-health.ts), not with every run's warnings.
 */
const LOG_STREAM = /^(the Log Stream \S+ is not active: it is |resumed the Log Stream \S+ )/;

/** Why a stream may be in a status, for the operator. */
const STATUS_WHY: Record<string, string> = {
  paused: "someone paused it (Auth0's dashboard or the Management API)",
  suspended: "Auth0 stopped it after failing to deliver for a long time",
};

/** The tenant's Log Stream is not active: its events come only by the sweep, a SCHEDULE late. */
export function logStreamWarning(id: string, status: string, resume: boolean): RunWarning {
  const why = STATUS_WHY[status] ?? "a status this version does not know";
  const fix = resume
    ? "LOG_STREAM_RESUME could not set it back to active"
    : "set it active in Auth0's dashboard (Monitoring > Streams), or set LOG_STREAM_RESUME=true";
  return {
    kind: "log-stream",
    text: `the Log Stream ${id} is not active: it is ${status} (${why}); events arrive only by the sweep, up to a SCHEDULE late; ${fix}`,
  };
}

/** LOG_STREAM_RESUME set the stream back to active. */
export function logStreamResumed(id: string, was: string): RunWarning {
  return {
    kind: "log-stream",
    text: `resumed the Log Stream ${id} (it was ${was}); the sweep fills what it missed`,
  };
}

/** A warning as the run record keeps it (text), with its kind. */
export function runWarning(text: string): RunWarning {
  if (DEAD_LETTERS.test(text)) return { kind: "dead-letters", text };
  return { kind: LOG_STREAM.test(text) ? "log-stream" : "other", text };
}
