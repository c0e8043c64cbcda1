// How a field nobody mapped gets its type: the index's dynamic templates in order (the built-in
// ecs@mappings ones included), else ES's defaults — long for integers, float for other numbers,
// date for strings that pass date detection, text with a keyword sub-field for other strings.
// The type chosen here is the one every later document must fit, so it must be the real one.

import type { Json } from "./errors.ts";
import { looksLikeDate } from "./values.ts";

export function isObjectNode(node: Json): boolean {
  return node.type === undefined || node.type === "object" || node.type === "nested";
}

function asList(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function globAny(patterns: string[], name: string): boolean {
  return patterns.some((p) =>
    new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(name),
  );
}

function defaultMapping(kind: string): Json {
  switch (kind) {
    case "string":
      return { type: "text", fields: { keyword: { type: "keyword", ignore_above: 256 } } };
    case "double":
      return { type: "float" };
    case "object":
      return { properties: {} };
    default:
      return { type: kind };
  }
}

/** The JSON kind ES matches `match_mapping_type` against ("date" only with date detection on). */
function kindOf(root: Json, value: unknown): string {
  const dateDetection = root.date_detection !== false && root.date_detection !== "false";
  if (typeof value === "string") return dateDetection && looksLikeDate(value) ? "date" : "string";
  if (typeof value === "number") return Number.isInteger(value) ? "long" : "double";
  if (typeof value === "boolean") return "boolean";
  return "object";
}

/** The mapping for a new field at `path` (its last segment `name`) first seen with `value`. */
export function dynamicMapping(root: Json, path: string, name: string, value: unknown): Json {
  const kind = kindOf(root, value);
  for (const entry of (root.dynamic_templates as Json[] | undefined) ?? []) {
    const template = Object.values(entry)[0] as Json | undefined;
    if (!template) continue;
    const types = asList(template.match_mapping_type);
    if (types.length > 0 && !types.includes("*") && !types.includes(kind)) continue;
    if (asList(template.unmatch_mapping_type).includes(kind)) continue;
    const match = asList(template.match);
    if (match.length > 0 && !globAny(match, name)) continue;
    if (globAny(asList(template.unmatch), name)) continue;
    const pathMatch = asList(template.path_match);
    if (pathMatch.length > 0 && !globAny(pathMatch, path)) continue;
    if (globAny(asList(template.path_unmatch), path)) continue;
    const dynamicType = kind === "double" ? "float" : kind === "string" ? "text" : kind;
    const text = JSON.stringify(template.mapping ?? {})
      .replaceAll("{name}", name)
      .replaceAll("{dynamic_type}", dynamicType);
    const mapping = JSON.parse(text) as Json;
    // A template without a type keeps the detected one and adds its parameters to it.
    if (mapping.type === undefined && kind !== "object")
      return { ...defaultMapping(kind), ...mapping };
    if (isObjectNode(mapping)) mapping.properties ??= {};
    return mapping;
  }
  return defaultMapping(kind);
}
