// The body of one Auth0 Log Streams delivery, read into events: the first piece of the push intake
// (README.md here). A custom-webhook stream sends JSON lines, a JSON array, or a JSON object whose
// `logs` member is the array (its "Content Format"), whatever its Content-Type says, so all three
// are accepted under any. Each element is `{"log_id": "…", "data": {…the event…}}`.
//
// Bounds first: the listener bounds the body's bytes before reading it; here its nesting, its
// values and its elements are counted before anything is parsed, as for every other input. A body
// that is not one of the three formats is refused whole (400, naming the line or the position);
// an element that is not a valid event is refused alone, so that one bad element does not make
// the sender send the whole batch again for ever: it is kept as a dead letter with the reason.

import { checkpointProblem } from "../auth0/checkpoint.ts";
import type { LogEvent } from "../interfaces.ts";
import { measureJson } from "../util/bounded-json.ts";

export interface StreamLimits {
  /** Elements in one body. Auth0 does not say how many it batches: this is well above any seen. */
  maxElements: number;
  /** The deepest nesting of a body (or of one line). */
  maxDepth: number;
  /** Values in the whole body, counted as bounded-json counts them. */
  maxValues: number;
}

export const STREAM_LIMITS: StreamLimits = {
  maxElements: 5_000,
  maxDepth: 64,
  maxValues: 1_000_000,
};

export type StreamFormat = "lines" | "array" | "object";

export interface StreamEvent {
  /** Its place in the body, from 0. */
  index: number;
  event: LogEvent;
}

export interface RefusedElement {
  index: number;
  /** The element's log_id when it is a string (shown cut and quoted in the reason). */
  logId: string | null;
  reason: string;
  /** The element as it came, to keep as a dead letter. */
  element: unknown;
}

export interface StreamBody {
  format: StreamFormat;
  events: StreamEvent[];
  refused: RefusedElement[];
}

/** The whole body is refused: 413 when over a bound, 400 when malformed. */
export class StreamBodyError extends Error {
  readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string) {
    super(message);
    this.status = status;
  }
}

const FORMATS = 'JSON lines, a JSON array, or {"logs": [...]}';

/** A value from outside, fit to quote in a reason: JSON-quoted, cut at 80 characters. */
function quoted(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Where JSON.parse stopped, from V8's message ("… at position 12 …"), or null. */
function positionOf(error: unknown): number | null {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : "");
  return match ? Number(match[1]) : null;
}

/** Counts the body's nesting and values (JSON lines too: one pass over every line) first. */
function bounded(text: string, limits: StreamLimits, where: string): void {
  const shape = measureJson(text, limits.maxDepth, limits.maxValues);
  if (shape.depth > limits.maxDepth) {
    throw new StreamBodyError(413, `${where} is nested deeper than ${limits.maxDepth} levels`);
  }
  if (shape.values > limits.maxValues) {
    throw new StreamBodyError(413, `the body holds more than ${limits.maxValues} values`);
  }
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const at = positionOf(error);
    throw new StreamBodyError(
      400,
      `${where} is not valid JSON${at === null ? "" : ` (at character ${at + 1})`}: expected ${FORMATS}`,
    );
  }
}

/** The elements of a body, and which of the three formats it was. */
function elementsOf(
  text: string,
  limits: StreamLimits,
): { format: StreamFormat; elements: unknown[] } {
  const body = text.trim();
  if (body === "") throw new StreamBodyError(400, `the body is empty: expected ${FORMATS}`);
  if (!body.startsWith("[") && !body.startsWith("{")) {
    throw new StreamBodyError(400, `the body is not JSON: expected ${FORMATS}`);
  }
  const lines = body.split("\n").filter((line) => line.trim() !== "");
  // One JSON value (an array, {"logs": […]}, or a single element, pretty-printed or not) unless
  // it only parses line by line: JSON lines.
  bounded(body, limits, "the body");
  let whole: unknown;
  try {
    whole = JSON.parse(body);
  } catch {
    if (lines.length === 1 || body.startsWith("[")) parse(body, "the body");
    whole = undefined;
  }
  if (Array.isArray(whole)) return { format: "array", elements: whole };
  if (whole !== undefined) {
    const value = whole as Record<string, unknown>;
    if (Array.isArray(value.logs)) return { format: "object", elements: value.logs };
    if ("logs" in value) {
      throw new StreamBodyError(400, 'the body\'s "logs" member is not an array');
    }
    return { format: "lines", elements: [value] };
  }
  if (lines.length > limits.maxElements) {
    throw new StreamBodyError(413, `the body holds more than ${limits.maxElements} elements`);
  }
  const elements = lines.map((line, i) => parse(line.trim(), `line ${i + 1} of the body`));
  return { format: "lines", elements };
}

/** Why an element is not a Log Streams event, or the event it carries. */
function eventOf(element: unknown, now: number): LogEvent | string {
  if (element === null || typeof element !== "object" || Array.isArray(element)) {
    return 'not an object {"log_id": …, "data": {…}}';
  }
  const { log_id: logId, data } = element as Record<string, unknown>;
  const problem = checkpointProblem(logId, now);
  if (problem) return `log_id ${quoted(logId)}: ${problem}`;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return `log_id ${quoted(logId)}: its "data" is not an object`;
  }
  const inner = (data as Record<string, unknown>).log_id;
  if (inner !== undefined && inner !== logId) {
    return `log_id ${quoted(logId)} differs from its data.log_id ${quoted(inner)}`;
  }
  return { ...(data as Record<string, unknown>), log_id: logId as string };
}

/**
 * Reads one delivery's body (its bytes already bounded) into the events it carries and the
 * elements refused alone; throws StreamBodyError when the body as a whole cannot be read.
 */
export function parseStreamBody(
  text: string,
  now = Date.now(),
  limits: StreamLimits = STREAM_LIMITS,
): StreamBody {
  const { format, elements } = elementsOf(text, limits);
  if (elements.length > limits.maxElements) {
    throw new StreamBodyError(413, `the body holds more than ${limits.maxElements} elements`);
  }
  const events: StreamEvent[] = [];
  const refused: RefusedElement[] = [];
  elements.forEach((element, index) => {
    const event = eventOf(element, now);
    if (typeof event !== "string") {
      events.push({ index, event });
      return;
    }
    const logId = (element as { log_id?: unknown } | null)?.log_id;
    refused.push({
      index,
      logId: typeof logId === "string" ? logId : null,
      reason: event,
      element,
    });
  });
  return { format, events, refused };
}
