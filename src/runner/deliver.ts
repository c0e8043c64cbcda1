// Delivery: one batch through the sink, and the check that the sink accounted for every document
// of it, delivered or refused for good (a refusal then becomes a dead letter, stored by the
// caller: with the checkpoint past it, or on its own, DeadLetters.add). Every send of the product
// goes through here: an execution's batches, the re-sending of dead letters, and a push intake's.

import { SinkError } from "../errors.ts";
import type { DeliveryReport, SendContext, Sink, SinkBatch } from "../interfaces.ts";

/**
 * Sends a batch (the sink retries what is worth retrying within the context's budget) and checks
 * that its report accounts for every document: one that does not would let a commit skip the
 * documents unaccounted for, so it throws instead, and nothing is to be committed.
 */
export async function deliver(
  sink: Sink,
  batch: SinkBatch,
  context: SendContext,
): Promise<DeliveryReport> {
  const size = batch.documents.length;
  if (size === 0) return { delivered: 0, rejected: [] };
  const report = await sink.send(batch, context);
  if (report.delivered + report.rejected.length !== size) {
    throw new SinkError(
      `${sink.info.target} accounted for ${report.delivered + report.rejected.length} of ${size} documents; nothing was committed`,
      { retryable: false },
    );
  }
  return report;
}
