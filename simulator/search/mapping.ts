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
import { mergeConflict, wholeValueRefusal, withDateCause } from "./refusals.ts";
import { parseLeaf, WHOLE_VALUE_TYPES } from "./values.ts";

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
  private readonly limitsWhileParsing: boolean;

  /** `mappings` is already composed and normalised (dotted names expanded). */
  constructor(mappings: Json, limits: MappingLimits, flavor: Flavor, timestampField?: string) {
    this.root = structuredClone(mappings);
    this.root.properties ??= {};
    this.flavor = flavor;
    this.limits = limits;
    this.timestampField = timestampField;
    this.malformable = malformableTypes(flavor);
    this.limitsWhileParsing =
      flavor.es && (flavor.major > 8 || (flavor.major === 8 && flavor.minor >= 19));
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
        // Wrapped as a failure to parse the field (OpenSearch 2.19.6, Elasticsearch 8.19.8).
        this.fail(
          state,
          here,
          `failed to parse field [${key}] of type [${key}] in document with id '${state.id}'. Preview of field's value: '${javaString(object[key])}'`,
          docError(this.flavor, columnOf(state.raw, here), reason),
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
    } else if (state.updates.has(path) && !this.nodes.has(path)) {
      // Mapped dynamically earlier in this same document: a real node maps each value on its own
      // and merges the new mappings when the document is done, so a second value of another type
      // is a merge conflict, not a value that fails to parse (OpenSearch 2.19.6, Elasticsearch
      // 8.19.8).
      const name = path.slice(path.lastIndexOf(".") + 1);
      const next = dynamicMapping(this.root, path, name, value);
      // Inside an object itself new in this document, OpenSearch names the types the other
      // way round (checked on OpenSearch 2.19.6: [{"n":42},{"n":"42"}] is "from [text] to [long]").
      const parentIsNew = parent !== "" && state.updates.has(parent) && !this.nodes.has(parent);
      const es = this.flavor.es;
      const conflict =
        parentIsNew && !es
          ? mergeConflict(next, node, path, es)
          : mergeConflict(node, next, path, es);
      if (conflict) throw new DocFailure(esError("illegal_argument_exception", conflict));
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
    if (type === "flattened" || type === "flat_object") {
      const refusal = wholeValueRefusal(type, node, path, value);
      if (refusal === null) return;
      if ("error" in refusal) throw new DocFailure(refusal.error);
      const start = columnOf(state.raw, [...src, ...(refusal.at ?? [])]);
      // Past the depth limit the parser stops at the end of the object too deep.
      const column = refusal.atEnd ? start + JSON.stringify(refusal.preview).length - 1 : start;
      throw new DocFailure(
        docError(
          this.flavor,
          column,
          `failed to parse field [${path}] of type [${type}] in document with id '${state.id}'. Preview of field's value: '${javaString(refusal.preview)}'`,
          refusal.cause,
        ),
      );
    }
    const isObject = typeof value === "object";
    const result = parseLeaf(type, node, path, value, isObject ? columnOf(state.raw, src) : 0);
    if (result.ok) {
      if (result.constant !== undefined)
        state.updates.set(path, { ...node, value: result.constant });
      if (path === this.timestampField) state.timestamps++;
      return;
    }
    result.cause = withDateCause(type, node, result.cause);
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
    const total = this.total + state.newFields + cost;
    if (
      this.limitsWhileParsing &&
      !this.limits.ignoreDynamicBeyondLimit &&
      total > this.limits.totalFields
    ) {
      // Elasticsearch 8.19 (checked on 8.19.8) stops at the field that goes over, where it is.
      const reason = `Limit of total fields [${this.limits.totalFields}] has been exceeded while adding new fields [${state.newFields + cost}]`;
      this.fail(
        state,
        src,
        `failed to parse: ${reason}`,
        esError("illegal_argument_exception", reason),
      );
    }
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
