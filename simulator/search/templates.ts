// Index and component templates: the PUT/GET/DELETE routes' rules and the lookup a write makes
// when its target does not exist yet. Templates are where an exporter's setup step most often
// fails against a real cluster (a missing component, a type the product lacks, two templates at
// one priority), so each of those is refused here with the body ES or OpenSearch sends.

import { builtins } from "./builtins.ts";
import {
  checkPatterns,
  checkPriority,
  flattenSettings,
  mergeMappings,
  nestSettings,
  nodeAt,
  unknownType,
} from "./compose.ts";
import {
  type EsError,
  errorBody,
  esError,
  fail,
  HttpError,
  type Json,
  javaList,
} from "./errors.ts";
import { globMatch } from "./http.ts";
import type { Flavor } from "./options.ts";

export interface Resolved {
  template: string;
  timestampField?: string;
  mappings: Json;
  settings: Record<string, string>;
}

const INDEX_KEYS = [
  "index_patterns",
  "composed_of",
  "template",
  "priority",
  "version",
  "_meta",
  "data_stream",
  "allow_auto_create",
  "ignore_missing_component_templates",
  "deprecated",
];
const OS_INDEX_KEYS = [
  "index_patterns",
  "composed_of",
  "template",
  "priority",
  "version",
  "_meta",
  "data_stream",
  "context",
];
const TEMPLATE_KEYS = ["settings", "mappings", "aliases", "lifecycle", "data_stream_options"];

function asObject(value: unknown, what: string): Json {
  if (value === undefined || value === null || typeof value !== "object" || Array.isArray(value)) {
    throw fail(400, "parse_exception", what);
  }
  return value as Json;
}

function checkKeys(body: Json, allowed: string[], where: string): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key))
      throw fail(400, "x_content_parse_exception", `[1:2] [${where}] unknown field [${key}]`);
  }
}

export class TemplateStore {
  readonly index = new Map<string, Json>();
  readonly component = new Map<string, Json>();
  /** Names PUT by clients, as opposed to the built-ins. */
  readonly put = { index: new Map<string, Json>(), component: new Map<string, Json>() };
  private readonly flavor: Flavor;

  constructor(flavor: Flavor) {
    this.flavor = flavor;
    this.reset();
  }

  reset(): void {
    this.index.clear();
    this.component.clear();
    this.put.index.clear();
    this.put.component.clear();
    const initial = builtins(this.flavor);
    for (const [name, body] of Object.entries(initial.index)) this.index.set(name, body);
    for (const [name, body] of Object.entries(initial.component)) this.component.set(name, body);
  }

  /** Elastic Serverless refuses ILM settings: its data streams use the data stream lifecycle. */
  private checkServerlessSettings(template: Json | undefined): void {
    if (!this.flavor.es || !this.flavor.serverless || template?.settings === undefined) return;
    const refused = Object.keys(flattenSettings(template.settings)).filter((key) =>
      key.startsWith("index.lifecycle."),
    );
    if (refused.length > 0) {
      // [UNCONFIRMED wording]
      throw fail(
        400,
        "illegal_argument_exception",
        `Settings ${javaList(refused)} are not available when running in serverless mode`,
      );
    }
  }

  private mappingError(inner: EsError): EsError {
    const prefix = this.flavor.es
      ? "Failed to parse mapping: "
      : "Failed to parse mapping [_doc]: ";
    if (inner.type !== "mapper_parsing_exception") return inner;
    return esError("mapper_parsing_exception", `${prefix}${inner.reason}`, { caused_by: inner });
  }

  putComponent(name: string, value: unknown, create: boolean): void {
    const body = asObject(value, "request body is required");
    checkKeys(body, ["template", "version", "_meta", "deprecated"], "component_template");
    const template = asObject(
      body.template,
      "[component_template] failed to parse, template is required",
    );
    checkKeys(template, TEMPLATE_KEYS, "template");
    this.checkServerlessSettings(template);
    if (create && this.component.has(name)) {
      throw fail(400, "illegal_argument_exception", `component template [${name}] already exists`);
    }
    const mappings = (template.mappings as Json | undefined) ?? {};
    let problem: EsError | undefined;
    try {
      problem = unknownType(this.flavor, mergeMappings([mappings]));
    } catch (error) {
      problem = error as EsError;
    }
    if (problem) throw new HttpError(400, errorBody(400, this.mappingError(problem)));
    const stored = this.normalize(body);
    this.component.set(name, stored);
    this.put.component.set(name, structuredClone(body));
  }

  putIndex(name: string, value: unknown, create: boolean): void {
    const body = asObject(value, "request body is required");
    checkKeys(body, this.flavor.es ? INDEX_KEYS : OS_INDEX_KEYS, "index_template");
    if (body.template !== undefined) {
      const template = asObject(body.template, "[template] must be an object");
      checkKeys(template, TEMPLATE_KEYS, "template");
      this.checkServerlessSettings(template);
    }
    const patterns =
      typeof body.index_patterns === "string" ? [body.index_patterns] : body.index_patterns;
    if (!Array.isArray(patterns) || patterns.length === 0) {
      throw fail(
        400,
        "action_request_validation_exception",
        "Validation Failed: 1: index patterns are missing;",
      );
    }
    checkPatterns(name, patterns.map(String));
    if (create && this.index.has(name)) {
      throw fail(400, "illegal_argument_exception", `index template [${name}] already exists`);
    }
    const composedOf = Array.isArray(body.composed_of) ? body.composed_of.map(String) : [];
    const ignoreMissing = Array.isArray(body.ignore_missing_component_templates)
      ? body.ignore_missing_component_templates.map(String)
      : [];
    const missing = composedOf.filter((c) => !this.component.has(c) && !ignoreMissing.includes(c));
    if (missing.length > 0) {
      const reason = `index_template [${name}] invalid, cause [index template [${name}] specifies component templates ${javaList(missing)} that do not exist]`;
      throw fail(400, "invalid_index_template_exception", reason);
    }
    const priority = typeof body.priority === "number" ? body.priority : 0;
    checkPriority(name, patterns.map(String), priority, this.index);
    const stored = this.normalize({
      ...body,
      index_patterns: patterns.map(String),
      composed_of: composedOf,
    });
    try {
      this.compose(stored);
    } catch (error) {
      const composed =
        composedOf.length > 0 ? `with component templates ${javaList(composedOf)} ` : "";
      const chain = esError(
        "illegal_argument_exception",
        `composable template [${name}] template after composition ${composed}is invalid`,
        {
          caused_by: esError(
            "illegal_argument_exception",
            `invalid composite mappings for [${name}]`,
            {
              caused_by: this.mappingError(error as EsError),
            },
          ),
        },
      );
      throw new HttpError(400, errorBody(400, chain));
    }
    this.index.set(name, stored);
    this.put.index.set(name, structuredClone(body));
  }

  /** Stored the way GET answers: settings nested with string values, defaults filled in. */
  private normalize(body: Json): Json {
    const out = structuredClone(body);
    const template = out.template as Json | undefined;
    if (template?.settings !== undefined)
      template.settings = nestSettings(flattenSettings(template.settings));
    if (out.data_stream !== undefined) {
      const stream = out.data_stream as Json;
      out.data_stream = this.flavor.es
        ? { hidden: false, allow_custom_routing: false, ...stream }
        : { timestamp_field: { name: "@timestamp" }, ...stream };
    }
    return out;
  }

  /** Settings and mappings of a template after composition; throws an EsError when invalid. */
  private compose(template: Json): {
    mappings: Json;
    settings: Record<string, string>;
    timestampField?: string;
  } {
    const parts = [
      ...((template.composed_of as string[] | undefined) ?? []).map(
        (c) => this.component.get(c)?.template as Json | undefined,
      ),
      template.template as Json | undefined,
    ];
    let settings: Record<string, string> = {};
    const mappingList: Json[] = [];
    let timestampField: string | undefined;
    if (template.data_stream !== undefined) {
      const named = ((template.data_stream as Json).timestamp_field as Json | undefined)?.name;
      timestampField = this.flavor.es ? "@timestamp" : String(named ?? "@timestamp");
      mappingList.push({ properties: { [timestampField]: { type: "date" } } });
    }
    for (const part of parts) {
      if (!part) continue;
      settings = { ...settings, ...flattenSettings(part.settings) };
      if (part.mappings) mappingList.push(part.mappings as Json);
    }
    const mappings = mergeMappings(mappingList);
    const problem = unknownType(this.flavor, mappings);
    if (problem) throw problem;
    if (timestampField !== undefined) {
      const type = String(nodeAt(mappings, timestampField)?.type);
      if (type !== "date" && type !== "date_nanos") {
        throw esError(
          "illegal_argument_exception",
          `data stream timestamp field [${timestampField}] is of type [${type}], but [date,date_nanos] is expected`,
        );
      }
    }
    return { mappings, settings, timestampField };
  }

  /** The template a new index or data stream called `target` is built from, if any. */
  resolve(target: string): Resolved | undefined {
    let best: [string, Json] | undefined;
    for (const entry of this.index) {
      const patterns = entry[1].index_patterns as string[];
      if (!patterns.some((pattern) => globMatch(pattern, target))) continue;
      const priority = (entry[1].priority as number | undefined) ?? 0;
      if (!best || priority > ((best[1].priority as number | undefined) ?? 0)) best = entry;
    }
    if (!best) return undefined;
    return { template: best[0], ...this.compose(best[1]) };
  }

  get(kind: "index" | "component", name: string | undefined): Json {
    const store = kind === "index" ? this.index : this.component;
    const names =
      name === undefined || name === "*"
        ? [...store.keys()]
        : name.split(",").flatMap((n) => [...store.keys()].filter((k) => globMatch(n, k)));
    if (name !== undefined && !name.includes("*") && names.length === 0) {
      const what = kind === "index" ? "index template" : "component template";
      throw fail(404, "resource_not_found_exception", `${what} matching [${name}] not found`);
    }
    const key = kind === "index" ? "index_template" : "component_template";
    return { [`${key}s`]: names.map((n) => ({ name: n, [key]: store.get(n) })) };
  }

  delete(kind: "index" | "component", name: string): void {
    if (kind === "index") {
      if (!this.index.delete(name))
        throw fail(404, "index_template_missing_exception", `index_template [${name}] missing`);
      this.put.index.delete(name);
      return;
    }
    if (!this.component.has(name)) {
      throw fail(
        404,
        "resource_not_found_exception",
        `component template matching [${name}] not found`,
      );
    }
    const users = [...this.index]
      .filter(([, t]) => ((t.composed_of as string[] | undefined) ?? []).includes(name))
      .map(([n]) => n);
    if (users.length > 0) {
      throw fail(
        400,
        "illegal_argument_exception",
        `component templates [${name}] cannot be removed as they are still in use by index templates ${javaList(users)}`,
      );
    }
    this.component.delete(name);
    this.put.component.delete(name);
  }
}
