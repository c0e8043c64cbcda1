// One index's mapping, and the parse of a document against it. This is the part of a cluster an
// exporter meets most often and least expects: the first type seen for a field wins, later
// documents that disagree are refused per item, dynamic templates and `dynamic: strict|false`
// apply, the total-fields and depth limits bite. A refused document changes no mapping: new
// fields are collected aside and committed only when the whole document parsed.

import { dynamicMapping, isObjectNode } from "./dynamic.ts";
import {
  docError,
  type EsError,
  esError,
  type Json,
  javaString,
  timestampError,
} from "./errors.ts";
import { type Flavor, malformableTypes } from "./options.ts";
import { columnOf, type SourcePath } from "./position.ts";
import { nestingDepth, parseLeaf, WHOLE_VALUE_TYPES } from "./values.ts";

export interface MappingLimits {
  totalFields: number;
  depth: number;
  ignoreMalformed: boolean;
  ignoreDynamicBeyondLimit: boolean;
}

export type ParseOutcome = { ok: true; updates: Map<string, Json> } | { ok: false; error: EsError };

// Fields ES keeps for itself; a source may not set them at its top level.
const METADATA = new Set(
  "_id _index _routing _source _seq_no _primary_term _version _ignored _field_names _tier".split(
    " ",
  ),
);

class DocFailure extends Error {
  readonly error: EsError;
  constructor(error: EsError) {
    super(error.reason);
    this.error = error;
  }
}

const POINTS = new Set(["geo_point", "dense_vector", "knn_vector", "point", "xy_point"]);

/** What a field counts against the total-fields limit: itself and its multi-fields. */
function fieldCost(node: Json): number {
  return 1 + Object.keys((node.fields as Json | undefined) ?? {}).length;
}

interface ParseState {
  id: string;
  raw: string;
  updates: Map<string, Json>;
  newFields: number;
  timestamps: number;
}

export class IndexMapping {
  readonly root: Json;
  private readonly nodes = new Map<string, Json>();
  private total = 0;
  private readonly flavor: Flavor;
  private readonly limits: MappingLimits;
  private readonly timestampField: string | undefined;
  private readonly malformable: Set<string>;

  /** `mappings` is already composed and normalised (dotted names expanded). */
  constructor(mappings: Json, limits: MappingLimits, flavor: Flavor, timestampField?: string) {
    this.root = structuredClone(mappings);
    this.root.properties ??= {};
    this.flavor = flavor;
    this.limits = limits;
    this.timestampField = timestampField;
    this.malformable = malformableTypes(flavor);
    if (timestampField && flavor.es) this.root._data_stream_timestamp = { enabled: true };
    this.index(this.root.properties as Json, "");
  }

  private index(properties: Json, prefix: string): void {
    for (const [name, node] of Object.entries(properties)) {
      const path = prefix ? `${prefix}.${name}` : name;
      this.nodes.set(path, node as Json);
      this.total += fieldCost(node as Json);
      const inner = (node as Json).properties as Json | undefined;
      if (inner) this.index(inner, path);
    }
  }

  toJSON(): Json {
    return structuredClone(this.root);
  }

  /** Parses a source; on success the caller commits `updates` once the write is accepted. */
  parse(source: Json, id: string, raw: string): ParseOutcome {
    const state: ParseState = { id, raw, updates: new Map(), newFields: 0, timestamps: 0 };
    try {
      this.walkObject(state, source, "", []);
      if (
        !this.limits.ignoreDynamicBeyondLimit &&
        this.total + state.newFields > this.limits.totalFields
      ) {
        return {
          ok: false,
          error: esError(
            "illegal_argument_exception",
            // OpenSearch 2.19.6 (checked on a real node) names no count of new fields.
            this.flavor.es
              ? `Limit of total fields [${this.limits.totalFields}] has been exceeded while adding new fields [${state.newFields}]`
              : `Limit of total fields [${this.limits.totalFields}] has been exceeded`,
          ),
        };
      }
      if (this.timestampField !== undefined && state.timestamps !== 1) {
        const field = this.timestampField;
        return {
          ok: false,
          error: timestampError(this.flavor, field, state.raw, state.timestamps),
        };
      }
      return { ok: true, updates: state.updates };
    } catch (error) {
      if (error instanceof DocFailure) return { ok: false, error: error.error };
      throw error;
    }
  }

  commit(updates: Map<string, Json>): void {
    for (const [path, node] of updates) {
      const dot = path.lastIndexOf(".");
      const parent = dot < 0 ? this.root : this.nodes.get(path.slice(0, dot));
      if (!parent) continue;
      parent.properties ??= {};
      (parent.properties as Json)[path.slice(dot + 1)] = node;
      if (!this.nodes.has(path)) this.total += fieldCost(node);
      this.nodes.set(path, node);
    }
  }

  private lookup(state: ParseState, path: string): Json | undefined {
    return state.updates.get(path) ?? this.nodes.get(path);
  }

  private fail(
    state: ParseState,
    src: SourcePath,
    reason: string,
    cause?: EsError,
    type?: string,
  ): never {
    throw new DocFailure(docError(this.flavor, columnOf(state.raw, src), reason, cause, type));
  }

  private walkObject(state: ParseState, object: Json, prefix: string, src: SourcePath): void {
    for (const [key, value] of Object.entries(object)) {
      const here = [...src, key];
      if (prefix === "" && METADATA.has(key)) {
        const reason = `Field [${key}] is a metadata field and cannot be added inside a document. Use the index API request parameters.`;
        // OpenSearch (checked on 2.19.6) wraps it as a failure to parse the field.
        if (this.flavor.es) this.fail(state, here, reason);
        this.fail(
          state,
          here,
          `failed to parse field [${key}] of type [${key}] in document with id '${state.id}'. Preview of field's value: '${javaString(object[key])}'`,
          esError("mapper_parsing_exception", reason),
        );
      }
      const segments = key.split(".");
      if (key.trim() === "") this.fail(state, here, "field name cannot be an empty string");
      if (segments.some((segment) => segment === "")) {
        this.fail(
          state,
          here,
          `object field starting or ending with a [.] makes object resolution ambiguous: [${key}]`,
        );
      }
      let parent = prefix;
      let skip = false;
      for (const segment of segments.slice(0, -1)) {
        const path = parent ? `${parent}.${segment}` : segment;
        let node = this.lookup(state, path);
        if (!node) node = this.dynamicNode(state, path, parent, {}, here) ?? undefined;
        if (!node || node.enabled === false) {
          skip = true;
          break;
        }
        if (!isObjectNode(node)) {
          if (WHOLE_VALUE_TYPES.has(String(node.type))) skip = true;
          else {
            this.fail(
              state,
              here,
              `Could not dynamically add mapping for field [${prefix ? `${prefix}.` : ""}${key}]. Existing mapping for [${path}] must be of type object but found [${String(node.type)}].`,
            );
          }
          break;
        }
        parent = path;
      }
      if (skip) continue;
      const last = segments[segments.length - 1] ?? key;
      this.handleValue(state, parent ? `${parent}.${last}` : last, parent, value, here);
    }
  }

  private handleValue(
    state: ParseState,
    path: string,
    parent: string,
    value: unknown,
    src: SourcePath,
  ): void {
    if (value === null) return;
    let node = this.lookup(state, path);
    // An array is its elements, one by one, except [lon, lat] points and vectors.
    const numbers = Array.isArray(value) && value.every((item) => typeof item === "number");
    if (Array.isArray(value) && !(numbers && POINTS.has(String(node?.type)))) {
      for (const [i, item] of value.entries())
        this.handleValue(state, path, parent, item, [...src, i]);
      return;
    }
    if (!node) {
      node = this.dynamicNode(state, path, parent, value, src) ?? undefined;
      if (!node) return;
    } else if (!this.flavor.es && state.updates.has(path) && !this.nodes.has(path)) {
      // Mapped dynamically earlier in this same document: a real node maps each value on its own
      // and merges the new mappings when the document is done, so a second value of another type
      // is a merge conflict, not a value that fails to parse (checked on OpenSearch 2.19.6).
      const name = path.slice(path.lastIndexOf(".") + 1);
      const next = dynamicMapping(this.root, path, name, value);
      // Inside an object itself new in this document, the real merge names the types the other
      // way round (checked on OpenSearch 2.19.6: [{"n":42},{"n":"42"}] is "from [text] to [long]").
      const parentIsNew = parent !== "" && state.updates.has(parent) && !this.nodes.has(parent);
      if (parentIsNew) this.mergeDynamic(next, node, path);
      else this.mergeDynamic(node, next, path);
    }
    const name = path.slice(path.lastIndexOf(".") + 1);
    if (isObjectNode(node)) {
      if (node.enabled === false) return;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        this.walkObject(state, value as Json, path, src);
        return;
      }
      this.fail(
        state,
        src,
        `object mapping for [${path}] tried to parse field [${name}] as object, but found a concrete value`,
      );
    }
    const type = String(node.type);
    const preview = () =>
      `failed to parse field [${path}] of type [${type}] in document with id '${state.id}'. Preview of field's value: '${javaString(value)}'`;
    if (type === "flattened") {
      const limit = typeof node.depth_limit === "number" ? node.depth_limit : 20;
      if (nestingDepth(value) > limit) {
        const cause = esError(
          "illegal_argument_exception",
          `The provided [flattened] field [${path}] exceeds the maximum depth limit of [${limit}].`,
        );
        this.fail(state, src, preview(), cause);
      }
      return;
    }
    if (type === "flat_object") {
      const refusal = flatObjectRefusal(path, value);
      if (refusal?.preview) this.fail(state, src, preview(), refusal.error);
      if (refusal) throw new DocFailure(refusal.error);
      return;
    }
    const isObject = typeof value === "object";
    const result = parseLeaf(type, node, path, value, isObject ? columnOf(state.raw, src) : 0);
    if (result.ok) {
      if (result.constant !== undefined)
        state.updates.set(path, { ...node, value: result.constant });
      if (path === this.timestampField) state.timestamps++;
      return;
    }
    if (!this.flavor.es) result.cause = openSearchCause(type, node, result.cause);
    const ignore =
      result.malformed &&
      path !== this.timestampField &&
      this.malformable.has(type) &&
      ((node.ignore_malformed as boolean | undefined) ?? this.limits.ignoreMalformed);
    if (ignore) return;
    // OpenSearch names neither the document nor the value for a point (checked on 2.19.6).
    if (!this.flavor.es && type === "geo_point") {
      throw new DocFailure(
        esError("mapper_parsing_exception", `failed to parse field [${path}] of type [${type}]`, {
          caused_by: result.cause,
        }),
      );
    }
    this.fail(state, src, preview(), result.cause);
  }

  /** Two dynamic mappings of one path in one document: the same type, or the merge refuses. */
  private mergeDynamic(first: Json, next: Json, path: string): void {
    if (isObjectNode(first) && isObjectNode(next)) return;
    const conflict = (reason: string) => {
      throw new DocFailure(esError("illegal_argument_exception", reason));
    };
    if (isObjectNode(first))
      conflict(`can't merge a non object mapping [${path}] with an object mapping`);
    if (isObjectNode(next))
      conflict(`can't merge a non object mapping [${path}] with an object mapping`);
    if (first.type !== next.type) {
      conflict(
        `mapper [${path}] cannot be changed from type [${String(first.type)}] to [${String(next.type)}]`,
      );
    }
  }

  /** The `dynamic` setting in force below `parent` (inherited from the nearest object). */
  private dynamicOf(state: ParseState, parent: string): string {
    const parts = parent === "" ? [] : parent.split(".");
    for (let depth = parts.length; depth > 0; depth--) {
      const setting = this.lookup(state, parts.slice(0, depth).join("."))?.dynamic;
      if (setting !== undefined) return String(setting);
    }
    return this.root.dynamic === undefined ? "true" : String(this.root.dynamic);
  }

  /** Maps a new field, or returns null when it stays unmapped (dynamic false, beyond the limit). */
  private dynamicNode(
    state: ParseState,
    path: string,
    parent: string,
    value: unknown,
    src: SourcePath,
  ): Json | null {
    const dynamic = this.dynamicOf(state, parent);
    const name = path.slice(path.lastIndexOf(".") + 1);
    if (dynamic === "strict") {
      this.fail(
        state,
        src,
        `mapping set to strict, dynamic introduction of [${name}] within [${parent || "_doc"}] is not allowed`,
        undefined,
        "strict_dynamic_mapping_exception",
      );
    }
    if (dynamic !== "true") return null;
    const node = dynamicMapping(this.root, path, name, value);
    const cost = fieldCost(node);
    if (
      this.limits.ignoreDynamicBeyondLimit &&
      this.total + state.newFields + cost > this.limits.totalFields
    ) {
      return null;
    }
    if (isObjectNode(node) && path.split(".").length > this.limits.depth) {
      throw new DocFailure(
        esError(
          "illegal_argument_exception",
          `Limit of mapping depth [${this.limits.depth}] has been exceeded due to object field [${path}]`,
        ),
      );
    }
    state.updates.set(path, node);
    state.newFields += cost;
    return node;
  }
}

/** Lucene's limit on one indexed term, in UTF-8 bytes. */
const MAX_TERM_BYTES = 32_766;

/**
 * Why OpenSearch's flat_object refuses a value (checked on 2.19.6): anything but an object (each
 * element of an array on its own), or a leaf, or its dotted path with the value, longer than one
 * Lucene term may be; flat_object takes no ignore_above. `preview`: the error names the field.
 */
function flatObjectRefusal(
  path: string,
  value: unknown,
): { error: EsError; preview: boolean } | null {
  if (typeof value !== "object" || value === null) {
    const token =
      typeof value === "number"
        ? "VALUE_NUMBER"
        : typeof value === "boolean"
          ? "VALUE_BOOLEAN"
          : "VALUE_STRING";
    const cause = esError(
      "parsing_exception",
      `[${path}] unexpected token [${token}] in flat_object field value`,
    );
    return { error: cause, preview: true };
  }
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
      preview: false,
    };
  };
  for (const [, leaf] of leaves) {
    if (Buffer.byteLength(leaf) > MAX_TERM_BYTES) return immense("_value", leaf);
  }
  for (const [keys, leaf] of leaves) {
    const term = `${path}.${keys}=${leaf}`;
    if (Buffer.byteLength(term) > MAX_TERM_BYTES) return immense("_valueAndPath", term);
  }
  return null;
}

/**
 * OpenSearch's causes where they differ from Elasticsearch's (checked on 2.19.6): a number that
 * does not parse is an illegal_argument_exception, and a date that fits none of several formats
 * says so underneath.
 */
function openSearchCause(type: string, node: Json, cause: EsError): EsError {
  if (cause.type === "number_format_exception")
    return { ...cause, type: "illegal_argument_exception" };
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
