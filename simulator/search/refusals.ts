// What a real node refuses in a document beyond one value's type (values.ts): OpenSearch's
// flat_object (objects only, no term past Lucene's limit), how deep a flattened value may go, and
// the causes a date carries. Each checked on a real node (docs/real-search-node.md).

import { isObjectNode } from "./dynamic.ts";
import { type EsError, esError, type Json } from "./errors.ts";
import type { SourcePath } from "./position.ts";
import { nestingDepth } from "./values.ts";

export type WholeValueRefusal =
  /** The field refuses the value: the error names the field and previews `preview`. */
  | { cause: EsError; preview: unknown; at?: SourcePath; atEnd?: boolean }
  /** Lucene refuses the document as a whole. */
  | { error: EsError };

function tokenOf(value: unknown): string {
  if (typeof value === "number") return "VALUE_NUMBER";
  return typeof value === "boolean" ? "VALUE_BOOLEAN" : "VALUE_STRING";
}

/**
 * Why a flattened (Elasticsearch) or flat_object (OpenSearch) field refuses one value (an array
 * comes here element by element): both take objects only; flattened no deeper than its
 * depth_limit (checked on 8.19.8: the preview is the first object too deep); flat_object no term
 * past Lucene's limit (it has no ignore_above).
 */
export function wholeValueRefusal(
  type: "flattened" | "flat_object",
  node: Json,
  path: string,
  value: unknown,
): WholeValueRefusal | null {
  if (typeof value !== "object" || value === null) {
    const reason =
      type === "flattened"
        ? `Failed to parse object: expecting token of type [START_OBJECT] but found [${tokenOf(value)}]`
        : `[${path}] unexpected token [${tokenOf(value)}] in flat_object field value`;
    return { cause: esError("parsing_exception", reason), preview: value };
  }
  if (type === "flat_object") {
    const refusal = flatObjectRefusal(path, value);
    return refusal && { error: refusal.error };
  }
  const limit = typeof node.depth_limit === "number" ? node.depth_limit : 20;
  if (nestingDepth(value) <= limit) return null;
  const cause = esError(
    "illegal_argument_exception",
    `The provided [flattened] field [${path}] exceeds the maximum depth limit of [${limit}].`,
  );
  const [preview, at] = tooDeep(value, limit + 1, []) ?? [value, []];
  return { cause, preview, at, atEnd: true };
}

/**
 * Two dynamic mappings of one path made by one document: none when both are objects or of one
 * type, else the reason the merge refuses it (checked on OpenSearch 2.19.6, Elasticsearch 8.19.8).
 */
export function mergeConflict(first: Json, next: Json, path: string, es: boolean): string | null {
  if (isObjectNode(first) && isObjectNode(next)) return null;
  // A value, then an object: Elasticsearch 8.19.8 names the object's Java class.
  if (es && isObjectNode(next)) {
    return `mapper [${path}] cannot be changed from type [${String(first.type)}] to [ObjectMapper]`;
  }
  if (isObjectNode(first) || isObjectNode(next)) {
    return `can't merge a non object mapping [${path}] with an object mapping`;
  }
  if (first.type === next.type) return null;
  return `mapper [${path}] cannot be changed from type [${String(first.type)}] to [${String(next.type)}]`;
}

/** Lucene's limit on one indexed term, in UTF-8 bytes. */
const MAX_TERM_BYTES = 32_766;

/**
 * A leaf of a flat_object value, or its dotted path with the value (as a term, or as a doc value),
 * past Lucene's limit.
 */
function flatObjectRefusal(path: string, value: unknown): { error: EsError } | null {
  const leaves: [string, string][] = [];
  const collect = (inner: unknown, keys: string) => {
    if (Array.isArray(inner)) for (const one of inner) collect(one, keys);
    else if (inner !== null && typeof inner === "object") {
      for (const [key, one] of Object.entries(inner as Json))
        collect(one, keys ? `${keys}.${key}` : key);
    } else if (inner !== null) leaves.push([keys, String(inner)]);
  };
  collect(value, "");
  const immense = (field: string, term: string) => {
    const bytes = Buffer.from(term);
    const prefix = [...bytes.subarray(0, 30)].map((byte) => (byte > 127 ? byte - 256 : byte));
    const got = `bytes can be at most ${MAX_TERM_BYTES} in length; got ${bytes.length}`;
    return {
      error: esError(
        "illegal_argument_exception",
        `Document contains at least one immense term in field="${path}.${field}" (whose UTF8 encoding is longer than the max length ${MAX_TERM_BYTES}), all of which were skipped.  Please correct the analyzer to not produce such terms.  The prefix of the first immense term is: '[${prefix.join(", ")}]...', original message: ${got}`,
        { caused_by: esError("max_bytes_length_exceeded_exception", got) },
      ),
    };
  };
  for (const [, leaf] of leaves) {
    if (Buffer.byteLength(leaf) > MAX_TERM_BYTES) return immense("_value", leaf);
  }
  for (const [keys, leaf] of leaves) {
    const term = `${path}.${keys}=${leaf}`;
    const bytes = Buffer.byteLength(term);
    if (bytes > MAX_TERM_BYTES) return immense("_valueAndPath", term);
    // Its doc value is longer by the field's name and a dot, under the same limit (checked on
    // OpenSearch 2.19.6: "flat.a=" and 32 755 bytes are refused, 32 754 taken).
    if (Buffer.byteLength(path) + 1 + bytes > MAX_TERM_BYTES) {
      return {
        error: esError(
          "illegal_argument_exception",
          `DocValuesField "${path}._valueAndPath" is too large, must be <= ${MAX_TERM_BYTES}`,
        ),
      };
    }
  }
  return null;
}

/**
 * A date that fits none of several formats says so underneath (checked on OpenSearch 2.19.6 and
 * Elasticsearch 8.19.8).
 */
export function withDateCause(type: string, node: Json, cause: EsError): EsError {
  const formats =
    typeof node.format === "string" ? node.format : "strict_date_optional_time||epoch_millis";
  if ((type === "date" || type === "date_nanos") && formats.includes("||")) {
    return {
      ...cause,
      caused_by: esError("date_time_parse_exception", "Failed to parse with all enclosed parsers"),
    };
  }
  return cause;
}

/** The first object `depth` levels down (arrays do not count), and where it is. */
function tooDeep(value: unknown, depth: number, at: SourcePath): [unknown, SourcePath] | null {
  if (Array.isArray(value)) {
    for (const [i, one] of value.entries()) {
      const found = tooDeep(one, depth, [...at, i]);
      if (found) return found;
    }
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  if (depth === 1) return [value, at];
  for (const [key, one] of Object.entries(value as Json)) {
    const found = tooDeep(one, depth - 1, [...at, key]);
    if (found) return found;
  }
  return null;
}
