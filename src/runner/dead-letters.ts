// Re-sending dead letters once the user has fixed their cause (a template, a mapping): each goes
// to the sink again as it was refused, by its Auth0 id, so a document indexed meanwhile counts as
// delivered. Delivered letters are marked resolved; those refused again keep the new reason. None
// is deleted here: only `dead-letters delete` does that, when asked.

import type { DeadLetter, JobStore, Rejection, SendContext, Sink } from "../interfaces.ts";
import { deliver } from "./deliver.ts";

export interface RetryOutcome {
  tried: number;
  delivered: number;
  refused: number;
  /** The reasons of those refused again, for people. */
  reasons: string[];
}

const BATCH = 100;

async function retryBatch(
  letters: DeadLetter[],
  sink: Sink,
  store: JobStore,
  context: SendContext,
): Promise<{ delivered: number; refused: Rejection[] }> {
  // The sink takes ownership of documents; the stored ones are copies already (parsed from JSON).
  const report = await deliver(
    sink,
    { documents: letters.map((letter) => letter.document), ids: letters.map((l) => l.logId) },
    context,
  );
  const refused = new Map(report.rejected.map((rejection) => [rejection.id, rejection]));
  await store.deadLetters.retried(
    letters.map((letter) => ({ id: letter.id, rejection: refused.get(letter.logId) ?? null })),
  );
  return { delivered: letters.length - refused.size, refused: report.rejected };
}

/** Re-sends the given pending letters, or all pending ones; batches of 100. */
export async function retryDeadLetters(
  store: JobStore,
  sink: Sink,
  which: number[] | "all",
  context: SendContext,
): Promise<RetryOutcome> {
  const outcome: RetryOutcome = { tried: 0, delivered: 0, refused: 0, reasons: [] };
  const pending =
    which === "all"
      ? await store.deadLetters.list({ state: "pending", limit: 10_000 })
      : (await store.deadLetters.get(which)).filter((letter) => letter.resolvedAt === null);
  for (let i = 0; i < pending.length; i += BATCH) {
    const letters = pending.slice(i, i + BATCH);
    const { delivered, refused } = await retryBatch(letters, sink, store, context);
    outcome.tried += letters.length;
    outcome.delivered += delivered;
    outcome.refused += refused.length;
    for (const rejection of refused) {
      if (!outcome.reasons.includes(rejection.reason)) outcome.reasons.push(rejection.reason);
    }
  }
  return outcome;
}
