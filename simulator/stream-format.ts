// The body of one Log Streams delivery as Auth0's custom webhook writes it
// (../shared/reference/log-streams-and-users.md §2.1): each element `{"log_id", "data"}`, with
// `data.log_id` the same id, in the stream's "Content Format".

import type { LogEvent } from "../src/interfaces.ts";

export type StreamContentFormat = "JSONLINES" | "JSONARRAY" | "JSONOBJECT";

export const STREAM_FORMATS: readonly StreamContentFormat[] = [
  "JSONLINES",
  "JSONARRAY",
  "JSONOBJECT",
];

/**
 * How a JSONOBJECT stream lays out a request, which no Auth0 document shows [UNCONFIRMED]:
 * "logs" is `{"logs": [elements…]}` (what a production receiver reads, the reference's
 * inference), "element" is one bare element per request (the other reading: batch size 1).
 */
export type JsonObjectLayout = "logs" | "element";

export interface StreamElement {
  log_id: string;
  data: Record<string, unknown>;
}

export function streamElement(event: LogEvent): StreamElement {
  const id = event.log_id as string;
  return { log_id: id, data: { ...event, log_id: id } };
}

/** One request's body. With the "element" layout, a batch of several elements is refused. */
export function encodeStreamBody(
  elements: readonly StreamElement[],
  format: StreamContentFormat,
  layout: JsonObjectLayout = "logs",
): string {
  switch (format) {
    case "JSONLINES":
      return `${elements.map((element) => JSON.stringify(element)).join("\n")}\n`;
    case "JSONARRAY":
      return JSON.stringify(elements);
    case "JSONOBJECT":
      if (layout === "logs") return JSON.stringify({ logs: elements });
      if (elements.length !== 1) {
        throw new Error(`a JSONOBJECT "element" body holds one element, not ${elements.length}`);
      }
      return JSON.stringify(elements[0]);
  }
}
