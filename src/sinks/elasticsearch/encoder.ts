// Documents as _bulk source lines. Every document carries @timestamp (data streams refuse one
// without it: the event's date, or the time in its log_id) and never a field named _id (refused
// as a metadata field: the Auth0 id goes into the action line instead).

import type { DocumentFormat } from "../../interfaces.ts";
import { timeOfLogId } from "../../util/log-id.ts";

function timestampOf(event: Record<string, unknown> | undefined): string | undefined {
  if (!event) return undefined;
  const date = typeof event.date === "string" ? Date.parse(event.date) : Number.NaN;
  if (Number.isFinite(date)) return new Date(date).toISOString();
  const fromId = typeof event.log_id === "string" ? timeOfLogId(event.log_id) : null;
  return fromId?.toISOString();
}

/** One document's source line. Takes ownership of the document, as the pipeline does. */
export function encodeDocument(document: Record<string, unknown>, format: DocumentFormat): string {
  if (document._id !== undefined) document._id = undefined;
  const event = format === "log-streams" ? (document.data as Record<string, unknown>) : document;
  if (format === "log-streams" && event?._id !== undefined) event._id = undefined;
  // The ECS shaper sets it; anything else (or an ECS document made elsewhere) gets it here.
  if (document["@timestamp"] === undefined) document["@timestamp"] = timestampOf(event);
  return JSON.stringify(document);
}
