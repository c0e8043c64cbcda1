// With a Log Stream, what the sweep sends of a page: not what the record of delivered ids has
// (pushed by the stream, or sent by an earlier sweep that then failed before its checkpoint moved),
// and what it records once the sink acknowledged: the ids it delivered, not those it refused.

import type { DeliveryReport, PageBatch, SinkBatch } from "../interfaces.ts";

/** A page's batch as the sweep sends it, and how many of its documents were left out for that. */
export interface SweepBatch extends PageBatch {
  /** Left out because already delivered (0 without a stream). */
  streamed: number;
  /** Releases this process's claim on its ids (DeliveredIds.claim), once committed. */
  release?: (() => void) | undefined;
}

/** `batch` without the documents whose id is `known` (already delivered). */
export function withoutDelivered(batch: PageBatch, known: ReadonlySet<string>): SweepBatch {
  if (known.size === 0) return { ...batch, streamed: 0 };
  const payload: SinkBatch = { documents: [], ids: [] };
  batch.payload.ids.forEach((id, i) => {
    if (known.has(id)) return;
    payload.ids.push(id);
    payload.documents.push(batch.payload.documents[i] as Record<string, unknown>);
  });
  return { ...batch, payload, streamed: batch.payload.ids.length - payload.ids.length };
}

/** The ids of `payload` the sink acknowledged: all but those it refused for good. */
export function acknowledgedIds(payload: SinkBatch, report: DeliveryReport): string[] {
  if (report.rejected.length === 0) return payload.ids;
  const refused = new Set(report.rejected.map((rejection) => rejection.id));
  return payload.ids.filter((id) => !refused.has(id));
}
