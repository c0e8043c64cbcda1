// How index templates become an index: settings flattened to "index.*" keys (ES accepts both
// nested and dotted forms and answers with nested strings), mappings with dotted names expanded
// into objects, component templates merged in order under the template's own, and every mapping
// type checked against the product. Shared by template validation and index creation, so that a
// template the fake accepts is exactly one it can build an index from.

import { type EsError, esError, fail, type Json, javaList } from "./errors.ts";
import { type Flavor, knownTypes } from "./options.ts";

/** {"index":{"mapping":{"total_fields":{"limit":5}}}} → {"index.mapping.total_fields.limit":"5"} */
export function flattenSettings(settings: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: unknown, prefix: string) => {
    if (node !== null && typeof node === "object" && !Array.isArray(node)) {
      for (const [key, value] of Object.entries(node as Json))
        walk(value, prefix ? `${prefix}.${key}` : key);
      return;
    }
    const key = prefix.startsWith("index.") ? prefix : `index.${prefix}`;
    out[key] = Array.isArray(node) ? node.map(String).join(",") : String(node);
  };
  walk(settings ?? {}, "");
  return out;
}

/** The nested, all-strings form GET answers with. */
export function nestSettings(flat: Record<string, string>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Json;
    }
    node[parts[parts.length - 1] ?? key] = value;
  }
  return out;
}

/** Expands "a.b": {...} into a: {properties: {b: {...}}}, recursively; returns a copy. */
export function normalizeProperties(properties: unknown): Json {
  const out: Json = {};
  for (const [key, raw] of Object.entries((properties as Json | undefined) ?? {})) {
    const node = { ...(raw as Json) };
    if (node.properties !== undefined) node.properties = normalizeProperties(node.properties);
    const parts = key.split(".");
    let target = out;
    for (const part of parts.slice(0, -1)) {
      const existing = (target[part] as Json | undefined) ?? { properties: {} };
      existing.properties ??= {};
      target[part] = existing;
      target = existing.properties as Json;
    }
    const last = parts[parts.length - 1] ?? key;
    const previous = target[last] as Json | undefined;
    target[last] =
      previous?.properties && node.properties
        ? {
            ...previous,
            ...node,
            properties: { ...(previous.properties as Json), ...(node.properties as Json) },
          }
        : node;
  }
  return out;
}

function isObjectDef(node: Json): boolean {
  return node.type === undefined || node.type === "object" || node.type === "nested";
}

function mergeProperties(base: Json, over: Json, prefix: string): Json {
  const out: Json = { ...base };
  for (const [name, raw] of Object.entries(over)) {
    const node = raw as Json;
    const previous = out[name] as Json | undefined;
    const path = prefix ? `${prefix}.${name}` : name;
    if (!previous) {
      out[name] = node;
      continue;
    }
    if (isObjectDef(previous) !== isObjectDef(node)) {
      throw esError(
        "illegal_argument_exception",
        `can't merge a non object mapping [${path}] with an object mapping`,
      );
    }
    out[name] = isObjectDef(node)
      ? {
          ...previous,
          ...node,
          properties: mergeProperties(
            (previous.properties as Json | undefined) ?? {},
            (node.properties as Json | undefined) ?? {},
            path,
          ),
        }
      : node;
  }
  return out;
}

/** Later mappings win; dynamic_templates accumulate, a later one replacing its namesake. */
export function mergeMappings(list: Json[]): Json {
  let result: Json = { properties: {} };
  for (const raw of list) {
    const mapping: Json = { ...raw, properties: normalizeProperties(raw.properties) };
    const templates = [...((result.dynamic_templates as Json[] | undefined) ?? [])];
    for (const entry of (mapping.dynamic_templates as Json[] | undefined) ?? []) {
      const name = Object.keys(entry)[0];
      const at = templates.findIndex((existing) => Object.keys(existing)[0] === name);
      if (at >= 0) templates[at] = entry;
      else templates.push(entry);
    }
    result = {
      ...result,
      ...mapping,
      properties: mergeProperties(result.properties as Json, mapping.properties as Json, ""),
    };
    if (templates.length > 0) result.dynamic_templates = templates;
  }
  return result;
}

/** The first field whose type the product does not know, as ES words it. */
export function unknownType(flavor: Flavor, mapping: Json): EsError | undefined {
  const known = knownTypes(flavor);
  const visit = (properties: Json): EsError | undefined => {
    for (const [name, raw] of Object.entries(properties)) {
      const node = raw as Json;
      const types = [
        node.type,
        ...Object.values((node.fields as Json | undefined) ?? {}).map((f) => (f as Json).type),
      ];
      for (const type of types) {
        if (type !== undefined && !known.has(String(type))) {
          return esError(
            "mapper_parsing_exception",
            `No handler for type [${String(type)}] declared on field [${name}]`,
          );
        }
      }
      // OpenSearch's flat_object takes no parameter at all (checked on 2.19.6).
      const extra = Object.keys(node).filter((key) => key !== "type");
      if (!flavor.es && node.type === "flat_object" && extra.length > 0) {
        return esError(
          "mapper_parsing_exception",
          `Mapping definition for [${name}] has unsupported parameters: ${extra.map((key) => ` [${key} : ${javaValue(node[key])}]`).join("")}`,
        );
      }
      const unknown = extra.find((key) => !FLATTENED_PARAMETERS.has(key));
      if (flavor.es && node.type === "flattened" && unknown !== undefined) {
        return esError(
          "mapper_parsing_exception",
          `unknown parameter [${unknown}] on mapper [${name}] of type [flattened]`,
        );
      }
      const inner = node.properties ? visit(node.properties as Json) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  const direct = visit(mapping.properties as Json);
  if (direct) return direct;
  for (const entry of (mapping.dynamic_templates as Json[] | undefined) ?? []) {
    const template = Object.values(entry)[0] as Json | undefined;
    const type = (template?.mapping as Json | undefined)?.type;
    if (type !== undefined && !String(type).includes("{") && !known.has(String(type))) {
      const name = Object.keys(entry)[0] ?? "";
      return esError(
        "mapper_parsing_exception",
        `No handler for type [${String(type)}] declared on field [${name}]`,
      );
    }
  }
  return undefined;
}

/** The mapping node at a dotted path of a normalised mapping. */
export function nodeAt(mapping: Json, path: string): Json | undefined {
  let properties = mapping.properties as Json | undefined;
  let node: Json | undefined;
  for (const part of path.split(".")) {
    node = properties?.[part] as Json | undefined;
    if (!node) return undefined;
    properties = node.properties as Json | undefined;
  }
  return node;
}

/** Whether some index name matches both globs (only `*` is special), for the priority clash. */
export function globsOverlap(a: string, b: string): boolean {
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === "*") result = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (b[j] === "*") result = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** index_patterns ES refuses outright, listed the way its validation lists them. */
export function checkPatterns(name: string, patterns: string[]): void {
  const problems = patterns.flatMap((p) => {
    if (p.startsWith("_")) return [`index_pattern [${p}] must not start with '_'`];
    if (!/[\s,"\\/<>|?#:]/.test(p)) return [];
    return [
      `index_pattern [${p}] must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]`,
    ];
  });
  if (problems.length === 0) return;
  const listed = problems.map((p, i) => `${i + 1}: ${p};`).join("");
  const reason = `index_template [${name}] invalid, cause [Validation Failed: ${listed}]`;
  throw fail(400, "invalid_index_template_exception", reason);
}

/** Two templates that could both match a new index at one priority: ES refuses the second. */
export function checkPriority(
  name: string,
  patterns: string[],
  priority: number,
  existing: Map<string, Json>,
): void {
  const clashes = [...existing].filter(([other, template]) => {
    if (other === name || ((template.priority as number | undefined) ?? 0) !== priority)
      return false;
    const theirs = template.index_patterns as string[];
    return patterns.some((mine) => theirs.some((their) => globsOverlap(mine, their)));
  });
  if (clashes.length === 0) return;
  const names = clashes.map(([other]) => other).join(",");
  const listing = clashes
    .map(([other, t]) => `${other} => ${javaList(t.index_patterns as string[])}`)
    .join(",");
  throw fail(
    400,
    "illegal_argument_exception",
    `index template [${name}] has index patterns ${javaList(patterns)} matching patterns from existing templates [${names}] with patterns (${listing}) that have the same priority [${priority}], multiple index templates may not match during index creation, please use a different priority`,
  );
}

/** A mapping parameter's value as Java prints it in a message. */
function javaValue(value: unknown): string {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** What Elasticsearch's flattened takes (checked on 8.19.8: anything else is refused). */
const FLATTENED_PARAMETERS = new Set([
  "depth_limit",
  "doc_values",
  "eager_global_ordinals",
  "ignore_above",
  "index",
  "index_options",
  "meta",
  "null_value",
  "similarity",
  "split_queries_on_whitespace",
  "time_series_dimensions",
]);
