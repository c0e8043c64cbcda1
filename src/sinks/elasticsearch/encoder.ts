// Documents as _bulk source lines. Every document carries @timestamp (data streams refuse one
// without it: the event's date, or the time in its log_id) and never a field named _id (refused
// as a metadata field: the Auth0 id goes into the action line instead). On OpenSearch, a leaf of a
// flat_object field too long to index is cut in the indexed copy, the event kept whole beside it
// (flat-object.ts).

import type { DocumentFormat } from "../../interfaces.ts";
import { timeOfLogId } from "../../util/log-id.ts";
import { fitForOpenSearch } from "./flat-object.ts";

function timestampOf(event: Record<string, unknown> | undefined): string | undefined {
  if (!event) return undefined;
  const date = typeof event.date === "string" ? Date.parse(event.date) : Number.NaN;
  if (Number.isFinite(date)) return new Date(date).toISOString();
  const fromId = typeof event.log_id === "string" ? timeOfLogId(event.log_id) : null;
  return fromId?.toISOString();
}

/**
 * One document's source line. Takes ownership of the document, as the pipeline does (drops its
 * _id, adds @timestamp), but never cuts it: a refused document is kept as a dead letter whole.
 */
export function encodeDocument(
  document: Record<string, unknown>,
  format: DocumentFormat,
  product: "elasticsearch" | "opensearch" = "elasticsearch",
): string {
  if (document._id !== undefined) document._id = undefined;
  const event = format === "log-streams" ? (document.data as Record<string, unknown>) : document;
  if (format === "log-streams" && event?._id !== undefined) event._id = undefined;
  const fitted = product === "opensearch" ? fitForOpenSearch(document, format) : document;
  // The ECS shaper sets it; anything else (or an ECS document made elsewhere) gets it here.
  if (fitted["@timestamp"] === undefined) fitted["@timestamp"] = timestampOf(event);
  return JSON.stringify(fitted);
}
