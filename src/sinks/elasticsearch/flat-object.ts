// OpenSearch's flat_object indexes every string leaf as a term, and the leaf with its dotted path
// as another ("details.request.body=…"), and takes no ignore_above: a term past Lucene's limit
// (32 766 UTF-8 bytes, less what doc values add: the field's name and a dot) makes the node refuse
// the whole document ("immense term", "DocValuesField … is too large"). Management API events
// carry whole rule and database scripts in details.request.body, so such events are real.
//
// Elasticsearch's flattened has ignore_above (ours: 8 191): the leaf stays in _source, unindexed.
// The nearest OpenSearch allows: such a leaf is cut, in the indexed copy, to the longest prefix of
// whole code points that fits, and the document keeps the event as it was, unindexed, in ECS's
// event.original (event_original in the other formats), and names the cut leaves in
// truncated_fields. Nothing is lost; a document with no such leaf is left exactly as it is.

import type { DocumentFormat } from "../../interfaces.ts";

/** The Auth0 fields our templates map as flat_object (flattened on Elasticsearch). */
export const FREE_FORM_FIELDS = ["details", "location_info", "security_context", "$event_schema"];

/**
 * The most bytes a "<field>.<path>=<value>" term may have. OpenSearch 2.19.6 refuses one over
 * 32 766 - (field name + 1) bytes (its doc values prefix the field's name); our longest field name
 * is 32 bytes. A round kibibyte of margin, should another version add more.
 */
export const TERM_BUDGET = 32_766 - 1_024;

type Doc = Record<string, unknown>;
const DROP = Symbol("drop");

const isObject = (value: unknown): value is Doc =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** UTF-8 bytes of a JavaScript string, as Lucene counts them (a lone surrogate is U+FFFD). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text);
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes that splits no code point. */
export function utf8Prefix(text: string, max: number): string {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const unit = text.charCodeAt(i);
    const pair =
      unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    const size = pair === 2 ? 4 : unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
    if (bytes + size > max) break;
    bytes += size;
    i += pair;
  }
  return text.slice(0, i);
}

/** Fits one flat_object value's leaves, copying only what changes; `cut` gets their paths. */
function fitValue(
  value: unknown,
  field: string,
  keys: string,
  cut: (keys: string) => void,
): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((one, i) => {
      const fitted = fitValue(one, field, keys, cut);
      if (fitted !== one && copy === null) copy = value.slice(0, i);
      if (copy !== null && fitted !== DROP) copy.push(fitted);
    });
    return copy ?? value;
  }
  if (isObject(value)) {
    let copy: Doc | null = null;
    for (const [key, one] of Object.entries(value)) {
      const fitted = fitValue(one, field, keys === "" ? key : `${keys}.${key}`, cut);
      if (fitted === one) continue;
      copy ??= { ...value };
      if (fitted === DROP) delete copy[key];
      else copy[key] = fitted;
    }
    return copy ?? value;
  }
  if (value === null || value === undefined) return value;
  const text = typeof value === "string" ? value : String(value);
  // The common leaf is far too short to matter: no byte counting for it.
  const prefix = `${field}.${keys}=`;
  if ((prefix.length + text.length) * 3 <= TERM_BUDGET) return value;
  const room = TERM_BUDGET - utf8Bytes(prefix);
  if (utf8Bytes(text) <= room) return value;
  cut(keys);
  // A path too long to index with any value: left out of the indexed copy altogether.
  if (room <= 0 || typeof value !== "string") return DROP;
  return utf8Prefix(text, room);
}

/** Where each format puts the Auth0 event, and the prefix of its fields' names in the mapping. */
function eventOf(document: Doc, format: DocumentFormat): { event: Doc; at: string } | null {
  if (format === "extension") return { event: document, at: "" };
  if (format === "log-streams")
    return isObject(document.data) ? { event: document.data, at: "data." } : null;
  const auth0 = document.auth0;
  const logs = isObject(auth0) ? auth0.logs : undefined;
  const data = isObject(logs) ? logs.data : undefined;
  return isObject(data) ? { event: data, at: "auth0.logs.data." } : null;
}

/**
 * The document OpenSearch can index: the same object when no flat_object leaf is too long, else a
 * copy with those leaves cut, the event as it was in event.original (ECS) or event_original, and
 * the cut leaves' paths in the event (e.g. "details.request.body.script") in truncated_fields.
 * The document given is never changed: a refused one is kept as a dead letter as it was.
 */
export function fitForOpenSearch(document: Doc, format: DocumentFormat): Doc {
  const found = eventOf(document, format);
  if (!found) return document;
  const { event, at } = found;
  const cut = new Set<string>();
  let fitted: Doc | null = null;
  for (const name of FREE_FORM_FIELDS) {
    const value = event[name];
    if (!isObject(value)) continue;
    const one = fitValue(value, `${at}${name}`, "", (keys) => cut.add(`${name}.${keys}`));
    if (one === value) continue;
    fitted ??= { ...event };
    fitted[name] = one;
  }
  if (fitted === null) return document;
  const original = JSON.stringify(event);
  const truncated_fields = [...cut];
  if (format === "extension") return { ...fitted, event_original: original, truncated_fields };
  if (format === "log-streams") {
    return { ...document, data: fitted, event_original: original, truncated_fields };
  }
  const auth0 = document.auth0 as Doc;
  const logs = auth0.logs as Doc;
  const ecsEvent = isObject(document.event) ? document.event : {};
  return {
    ...document,
    event: { ...ecsEvent, original },
    auth0: { ...auth0, logs: { ...logs, data: fitted, truncated_fields } },
  };
}
