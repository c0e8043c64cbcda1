// The tenants file (CONFIG_FILE): YAML whose top level holds process settings and defaults for
// every tenant, and whose `tenants:` maps each tenant's id to that tenant's own settings. Each value
// comes back as the text the settings' schemas parse, with where it was written, for messages such
// as `tenants.staging.BATCH_SIZE (tenants.yaml:12)`. ${VAR} is expanded after parsing, in scalar
// values only, so that a variable cannot change the file's structure.

import { closeSync, openSync, readSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type * as YamlModule from "yaml";
import type { Document } from "yaml";

/**
 * yaml, loaded when a tenants file is read: a deployment without one (most) does not carry its
 * 70 modules (about 5 MB of the service's memory).
 */
let loaded: typeof YamlModule | null = null;
function yaml(): typeof YamlModule {
  loaded ??= createRequire(import.meta.url)("yaml") as typeof YamlModule;
  return loaded;
}

import { closestName } from "./misspelt.ts";
import { ALIASES, jobSettings, settings, settingsByName } from "./settings.ts";

export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_TENANTS = 1000;
export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Settings that may be written as a YAML list, joined with commas (their rows say `list`). */
export const LIST_SETTINGS = new Set(settings.filter((s) => s.list).map((s) => s.name));

export interface FileValue {
  /**
   * The text the setting's schema parses. "" when written empty (`""`, `~`, nothing, or ${VAR}
   * expanding to nothing): unset for this tenant, whatever the levels below say. undefined when it
   * could not be read (a problem says why).
   */
  value: string | undefined;
  /** Where it was written, as messages name it: `tenants.staging.BATCH_SIZE (tenants.yaml:12)`. */
  where: string;
  /** Made with ${VAR}: never to be quoted, since it may be a secret. */
  expanded: boolean;
}

export interface TenantEntry {
  id: string;
  /** By setting name (an alias written in the file is stored under the setting it stands for). */
  values: Map<string, FileValue>;
}

export interface TenantsFile {
  /** The path as given, which messages show. */
  file: string;
  /** The top level's settings: process settings, and defaults for every tenant. */
  top: Map<string, FileValue>;
  tenants: TenantEntry[];
  problems: string[];
}

/** A variable's value, or undefined when it is unset or empty. */
export type Lookup = (name: string) => string | undefined;

const EXAMPLE = "(example: CONFIG_FILE=/etc/auth0-logs-to-logstash/tenants.yaml)";
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)(.*))?$/s;

/**
 * Expands ${VAR}, ${VAR:-default} (unset or empty: the default) and ${VAR:?message} (unset or
 * empty: an error saying message); $${ is a literal ${. Errors never quote the value.
 */
export function expandVariables(
  text: string,
  lookup: Lookup,
): { value: string; expanded: boolean; errors: string[] } {
  let value = "";
  let expanded = false;
  const errors: string[] = [];
  let at = 0;
  for (let dollar = text.indexOf("$"); dollar >= 0; dollar = text.indexOf("$", at)) {
    value += text.slice(at, dollar);
    if (text.startsWith("$${", dollar)) {
      value += "${";
      at = dollar + 3;
      continue;
    }
    if (!text.startsWith("${", dollar)) {
      value += "$";
      at = dollar + 1;
      continue;
    }
    const end = text.indexOf("}", dollar);
    const match = end < 0 ? null : REFERENCE.exec(text.slice(dollar + 2, end));
    if (match === null) {
      errors.push(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the syntax, quoted for people
        "has a malformed ${…}: write ${VAR}, ${VAR:-default} or ${VAR:?message} (and $${ for a literal ${)",
      );
      return { value, expanded: true, errors };
    }
    const [, name = "", operator, argument = ""] = match;
    const found = lookup(name);
    expanded = true;
    at = end + 1;
    if (found !== undefined && found !== "") value += found;
    else if (operator === ":-") value += argument;
    else if (operator === ":?") errors.push(`${name} is not set: ${argument || "required"}`);
    else
      errors.push(`\${${name}} is not set in the environment (or give a default: \${${name}:-…})`);
  }
  return { value: value + text.slice(at), expanded, errors };
}

function didYouMean(key: string, names: string[]): string {
  const meant = closestName(key, names);
  return meant === undefined ? "" : ` (did you mean ${meant}?)`;
}

const short = (text: string) => (text.length > 60 ? `${text.slice(0, 60)}…` : text);

const TOP_NAMES = [...settings.map((s) => s.name), ...Object.keys(ALIASES), "tenants"];
const JOB_NAMES = [...jobSettings.map((s) => s.name), ...Object.keys(ALIASES)];

class Reader {
  /** Each problem with its line, to report them in the file's order. */
  readonly found: { line: number; text: string }[] = [];
  readonly lines = new (yaml().LineCounter)();
  readonly file: string;
  readonly lookup: Lookup;
  readonly doc: Document.Parsed;
  /** Each alias's anchored node, found in one pass (see deref). */
  readonly anchored = new Map<unknown, unknown>();
  constructor(file: string, source: string, lookup: Lookup) {
    this.file = file;
    this.lookup = lookup;
    this.doc = yaml().parseDocument(source, {
      lineCounter: this.lines,
      uniqueKeys: false,
      prettyErrors: false,
    });
    for (const error of this.doc.errors) {
      const { line, col } = this.lines.linePos(error.pos[0]);
      // Some of yaml's messages end with the offending text: cut it, it may be part of a secret.
      const message = error.message.replace(/(extra characters): .*$/s, "$1");
      this.found.push({ line, text: `${file}:${line}:${col}: not valid YAML: ${message}` });
    }
    // An alias names the last node anchored so before it. yaml's Alias.resolve finds it by
    // walking the whole document, each time: a 1 MiB file of aliases took hours.
    const latest = new Map<string, unknown>();
    yaml().visit(this.doc, {
      Node: (_key, node) => {
        if (yaml().isAlias(node)) this.anchored.set(node, latest.get(node.source));
        else if (node.anchor) latest.set(node.anchor, node);
      },
    });
  }

  problem(at: unknown, text: string): void {
    this.found.push({ line: this.line(at), text });
  }

  line(node: unknown): number {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lines.linePos(range[0]).line : 1;
  }

  /** The node an alias stands for (one level: nothing is expanded), or the node itself. */
  deref(node: unknown): unknown {
    return yaml().isAlias(node) ? this.anchored.get(node) : node;
  }

  /** A scalar as the schemas want it: 100 → "100", true → "true", null → "". */
  scalarText(node: unknown): string | undefined {
    if (node === null || node === undefined) return "";
    if (!yaml().isScalar(node)) return undefined;
    const value = node.value;
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    // The text as written: a 56-digit START_FROM must not become a float.
    if (typeof value === "number" || typeof value === "boolean") return node.source ?? `${value}`;
    return String(value);
  }

  value(name: string, key: unknown, node: unknown, where: string): FileValue {
    const failed = (expanded: boolean) => ({ value: undefined, where, expanded });
    const target = this.deref(node);
    const list = yaml().isSeq(target);
    if (list && !LIST_SETTINGS.has(name)) {
      const lists = [...LIST_SETTINGS].join(", ");
      this.problem(key, `${where}: must be a single value (a list only for ${lists})`);
      return failed(false);
    }
    const parts: string[] = [];
    let [expanded, length] = [false, 0];
    for (const item of list ? target.items.map((i) => this.deref(i)) : [target]) {
      const text = this.scalarText(item);
      if (text === undefined) {
        const what = list ? "a list of single values" : "a single value: text, a number or true";
        this.problem(key, `${where}: must be ${what}`);
        return failed(false);
      }
      const result = expandVariables(text, this.lookup);
      for (const error of result.errors) this.problem(key, `${where}: ${error}`);
      if (result.errors.length > 0) return failed(true);
      expanded ||= result.expanded;
      // Aliases and ${VAR} can repeat a long text: the value is bounded as the file is.
      length += result.value.length + 1;
      if (length > MAX_FILE_BYTES) {
        this.problem(
          key,
          `${where}: longer than 1 MiB once its aliases and variables are expanded`,
        );
        return failed(expanded);
      }
      if (!list || result.value.trim() !== "") parts.push(result.value);
    }
    return { value: parts.join(","), where, expanded };
  }

  /** One map of settings: the top level (prefix "") or a tenant's (prefix "tenants.<id>."). */
  settings(map: unknown, prefix: string, tenant: boolean): Map<string, FileValue> {
    const values = new Map<string, FileValue>();
    if (!yaml().isMap(map)) return values;
    const seen = new Map<string, number>();
    for (const { key: node, value } of map.items) {
      const key = this.scalarText(node) || "?";
      const line = this.line(node);
      const where = `${prefix}${short(key)} (${this.file}:${line})`;
      if (!tenant && key === "tenants") continue;
      const name = ALIASES[key] ?? key;
      const setting = settingsByName.get(name);
      const first = seen.get(name);
      if (setting === undefined) {
        const hint =
          !tenant && TENANT_ID.test(key) && yaml().isMap(this.deref(value))
            ? " (tenants go under tenants:)"
            : didYouMean(key, tenant ? JOB_NAMES : TOP_NAMES);
        this.problem(node, `${where}: not a setting${hint}`);
      } else if (tenant && setting.scope === "process") {
        this.problem(node, `${where}: ${name} is a process setting: set it at the top level`);
      } else if (name === "CONFIG_FILE") {
        this.problem(node, `${where}: names the tenants file itself: set it in the environment`);
      } else if (first !== undefined) {
        this.problem(node, `${where}: ${name} is set twice in this map (first at line ${first})`);
      } else {
        seen.set(name, line);
        values.set(name, this.value(name, node, value, where));
      }
    }
    return values;
  }

  tenants(): TenantEntry[] {
    const root = this.doc.contents;
    const file = `CONFIG_FILE (${this.file})`;
    if (!yaml().isMap(root)) {
      this.problem(root, `${file}: must be a map of settings, with a tenants: map ${EXAMPLE}`);
      return [];
    }
    const pairs = root.items.filter(
      (pair) => yaml().isScalar(pair.key) && pair.key.value === "tenants",
    );
    const first = pairs[0];
    for (const extra of pairs.slice(1)) {
      const at = `tenants (${this.file}:${this.line(extra.key)})`;
      this.problem(extra.key, `${at}: is set twice (first at line ${this.line(first?.key)})`);
    }
    const map = this.deref(first?.value);
    const where = `tenants (${this.file}:${this.line(first?.key)})`;
    if (first === undefined || !yaml().isMap(map) || map.items.length === 0) {
      this.problem(
        first?.key,
        `${first === undefined ? file : where}: needs a tenants: map of tenant ids to their settings, with at least one tenant`,
      );
      return [];
    }
    if (map.items.length > MAX_TENANTS) {
      this.problem(first.key, `${where}: ${map.items.length} tenants; at most ${MAX_TENANTS}`);
      return [];
    }
    const tenants: TenantEntry[] = [];
    const seen = new Map<string, number>();
    for (const { key, value } of map.items) {
      const id = this.scalarText(key) || "?";
      const line = this.line(key);
      const at = `tenants.${short(id)} (${this.file}:${line})`;
      const own = this.deref(value);
      if (settingsByName.has(id) || id in ALIASES) {
        this.problem(key, `${at}: a setting where tenant ids belong: indent it under its tenant`);
      } else if (!TENANT_ID.test(id)) {
        this.problem(
          key,
          `${at}: not a valid tenant id: lowercase letters, digits and -, at most 63, starting with a letter or digit (example: prod-eu)`,
        );
      } else if (seen.has(id)) {
        this.problem(key, `${at}: tenant ${id} is defined twice (first at line ${seen.get(id)})`);
      } else if (!yaml().isMap(own) && this.scalarText(own) !== "") {
        this.problem(key, `${at}: must be a map of that tenant's settings`);
      } else {
        seen.set(id, line);
        tenants.push({ id, values: this.settings(own, `tenants.${id}.`, true) });
      }
    }
    return tenants;
  }
}

/** Reads and checks the tenants file; every problem is collected, none thrown. */
export function readTenantsFile(
  file: string,
  options: { cwd: string; lookup: Lookup },
): TenantsFile {
  const empty = (problem: string) => ({ file, top: new Map(), tenants: [], problems: [problem] });
  const path = resolve(options.cwd, file);
  // Read one byte more than allowed, never more: the size is bounded before anything is parsed.
  const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
  let size = 0;
  try {
    if (!statSync(path).isFile()) return empty(`CONFIG_FILE: ${file} is not a file ${EXAMPLE}`);
    const fd = openSync(path, "r");
    try {
      for (let n = -1; n !== 0 && size < buffer.length; size += n) {
        n = Math.max(0, readSync(fd, buffer, size, buffer.length - size, size));
      }
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    const reason = { ENOENT: "no such file", EACCES: "permission denied" }[code] ?? code;
    return empty(`CONFIG_FILE: cannot read ${file}: ${reason} ${EXAMPLE}`);
  }
  if (size > MAX_FILE_BYTES)
    return empty(`CONFIG_FILE: ${file} is larger than 1 MiB, the most read`);
  const reader = new Reader(file, buffer.toString("utf8", 0, size), options.lookup);
  const tenants = reader.tenants();
  const top = reader.settings(reader.doc.contents, "", false);
  const problems = reader.found.sort((a, b) => a.line - b.line).map((found) => found.text);
  return { file, top, tenants, problems };
}
