// A run's warnings are kept as text: the run record, the dashboard, the CLI and Slack show them as
// they are, and the store keeps them so. Each still has a kind, so that what reacts to one (Slack's
// "documents refused" alert) matches on the kind rather than on a sentence. A stored warning's kind
// is read back by the pattern of the writer below, in the same module, so that rewording one
// cannot silently break the other; anything else is "other".

/** What a warning is about, for what reacts to it. */
export type WarningKind = "dead-letters" | "other";

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

/** A warning as the run record keeps it (text), with its kind. */
export function runWarning(text: string): RunWarning {
  return { kind: DEAD_LETTERS.test(text) ? "dead-letters" : "other", text };
}
