// How a setting's problem is said: naming the setting, with a good example, and quoting its value
// only when nothing of it can be a secret. Parsing the rows is here too, since every problem is
// made while parsing and every secret must be registered before any message is made.

import { registerSecrets } from "../util/secrets.ts";
import type { RawSettings } from "./gather.ts";
import { misspellingWarning, withTypoHint } from "./misspelt.ts";
import type { SettingDefinition } from "./settings.ts";

/** What every command that loads these settings says once: the names that are not settings. */
export function misspeltWarnings(raw: RawSettings): string[] {
  return (raw.misspelt ?? []).map(misspellingWarning);
}

/** The problems, each naming the misspelling of an unset setting it mentions (LOGSTASH_URLL). */
export function withTypoHints(problems: string[], raw: RawSettings): string[] {
  const unset = (name: string) => raw.values[name] === undefined;
  return problems.map((problem) => withTypoHint(problem, raw.misspelt ?? [], unset));
}

function problem(setting: SettingDefinition, message: string): string {
  return `${setting.name}: ${message} (example: ${setting.name}=${setting.example})`;
}

/**
 * A value fit to quote in a message: never a secret, nor anything that could be a URL's
 * credentials. Whatever comes before the last @ may be userinfo, with a scheme or without, and
 * whatever a password holds (/ # ? : or more @); a query with values may hold a password too.
 * Cut to 60 characters only once nothing of that is left in it.
 */
function shownValue(setting: SettingDefinition, value: string): string {
  if (setting.secret) return "";
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? "";
  let rest = value.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  if (at !== -1) rest = `***${rest.slice(at)}`;
  // host:port: a port of digits; anything else after a colon may be a password without its @.
  else if (scheme !== "" && /^[^/?#]*:(?!\d*(?:[/?#]|$))/.test(rest))
    rest = `***${rest.slice(rest.search(/[/?#]|$/))}`;
  if (/[?#].*=/s.test(rest)) rest = `${rest.slice(0, rest.search(/[?#]/))}?***`;
  const shown = `${scheme}${rest}`;
  return `, got "${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}"`;
}

/** An issue's message without the value (or any item of a list) it may quote. */
function conceal(message: string, value: string): string {
  let out = message;
  for (const piece of [value, ...value.split(/[,\s]+/)]) {
    if (piece.trim() === "") continue;
    out = out.split(`"${piece}"`).join('"***"');
    if (piece.length >= 4) out = out.split(piece).join("***");
  }
  return out;
}

/** Parses the given rows' raw values; every problem is collected, none thrown. */
export function parseRows(raw: RawSettings, rows: SettingDefinition[], problems: string[]) {
  const parsed: Record<string, unknown> = {};
  for (const setting of rows) {
    const value = raw.values[setting.name];
    if (value === undefined) {
      if (setting.required) problems.push(problem(setting, "required but not set"));
      continue;
    }
    const result = setting.schema.safeParse(value);
    if (result.success) {
      parsed[setting.name] = result.data;
    } else if (raw.concealed?.has(setting.name)) {
      // Made with ${VAR}: it may be a secret whatever the setting, so it is not quoted at all.
      for (const issue of result.error.issues)
        problems.push(problem(setting, conceal(issue.message, value)));
    } else {
      // Never echo a secret's value; for the others, quoting the value helps to spot the typo.
      const shown = shownValue(setting, value);
      for (const issue of result.error.issues)
        problems.push(problem(setting, `${issue.message}${shown}`));
    }
  }
  // Registered before any message is made: a URL's password may end up quoted in one.
  registerSecrets(...rows.filter((s) => s.secret).map((s) => raw.values[s.name]));
  return parsed;
}

/**
 * A tenant's problem named as the tenants file names its setting (`labels`: by where it was
 * written); undefined when already reported (`failed`: its value could not be read).
 */
export function relabeller(labels: Map<string, string>, failed: Set<string>) {
  return (problem: string): string | undefined => {
    const name = /^([A-Z][A-Z0-9_]*): /.exec(problem)?.[1];
    if (name === undefined) return problem;
    if (failed.has(name)) return undefined;
    const label = labels.get(name);
    return label === undefined ? problem : `${label}${problem.slice(name.length)}`;
  };
}
