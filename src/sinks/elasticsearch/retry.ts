// The verdict on each item of a _bulk answer, as Beats and Vector's partial retry decide it:
// created (2xx) and already there (409 on create) are delivered; 429 and 5xx are retried alone,
// never with the rest of the batch; a document the cluster refuses for what it is (400: a mapping
// conflict, a field limit) is rejected for good, to be kept as a dead letter. Refusals that are
// about the cluster or the credentials rather than the document (401, 403, 404) stop the execution
// instead: dead-lettering every document for a missing privilege would help no one.

import { SinkError } from "../../errors.ts";

export type ItemVerdict =
  | { kind: "delivered" }
  | { kind: "retry"; status: number; reason: string }
  | { kind: "rejected"; status: number; reason: string };

export interface BulkAnswerItem {
  status?: unknown;
  error?: { type?: unknown; reason?: unknown } | string;
}

function reasonOf(item: BulkAnswerItem): string {
  if (typeof item.error === "string") return item.error.slice(0, 500);
  const type = typeof item.error?.type === "string" ? item.error.type : "error";
  const reason = typeof item.error?.reason === "string" ? item.error.reason : "";
  return `${type}: ${reason}`.slice(0, 500);
}

export function verdictOf(item: BulkAnswerItem): ItemVerdict {
  const status = typeof item.status === "number" ? item.status : 0;
  if (status >= 200 && status < 300) return { kind: "delivered" };
  const reason = reasonOf(item);
  // `create` of an id already indexed: it was delivered before (a re-send after a crash).
  if (status === 409 && reason.startsWith("version_conflict_engine_exception")) {
    return { kind: "delivered" };
  }
  if (status === 429 || status >= 500 || status === 0) return { kind: "retry", status, reason };
  if (reason.includes("Document ID is not supported")) {
    throw new SinkError(
      "OpenSearch Serverless refused document ids: this is a time-series collection, where the exporter cannot make re-sends idempotent; use a search collection",
      { retryable: false, status },
    );
  }
  if (status === 401 || status === 403 || status === 404) {
    throw new SinkError(
      `the cluster refused to index (${status} ${reason}); check the user's privileges and ELASTICSEARCH_INDEX`,
      { retryable: false, status },
    );
  }
  return { kind: "rejected", status, reason };
}

/** The items of a _bulk answer, one per document sent, in order; anything else is a bad answer. */
export function answerItems(body: unknown, expected: number): BulkAnswerItem[] {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items) || items.length !== expected) {
    throw new SinkError(
      `the cluster answered a _bulk of ${expected} documents with ${Array.isArray(items) ? items.length : "no"} items`,
      { retryable: true },
    );
  }
  return items.map((entry) => {
    const value = entry && typeof entry === "object" ? Object.values(entry)[0] : undefined;
    return (value ?? {}) as BulkAnswerItem;
  });
}
