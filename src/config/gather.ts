// Where settings come from: the environment and one settings file (--env-file, else ./.env, else
// the system install's), read once per load, and the tenants file
// with its ${VAR} read from the same two. Raw text only: parsing is messages.ts's, assembling
// job.ts's and deployment.ts's.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { findMisspellings, type Misspelling } from "./misspelt.ts";
import { ALIASES, settings } from "./settings.ts";
import { readTenantsFile, type TenantsFile } from "./tenants-file.ts";

export type SettingSource = "environment" | ".env" | "file" | "default" | "unset";

export interface RawSettings {
  values: Record<string, string | undefined>;
  sources: Record<string, SettingSource>;
  problems: string[];
  /** Settings whose value was made with ${VAR}: never quoted, since it may be a secret. */
  concealed?: Set<string>;
  /** Names in .env or the environment that are not settings (misspelt.ts). */
  misspelt?: Misspelling[];
}

/** The settings file of a system install (deploy/systemd, the container image). */
export const SYSTEM_ENV_FILE = "/etc/auth0-logs-to-logstash/env";
/** The variable `--env-file PATH` sets: one settings file, read instead of the others. */
export const ENV_FILE_VARIABLE = "AUTH0_LOGS_TO_LOGSTASH_ENV_FILE";

/**
 * Which settings file to read: the one named (--env-file), else ./.env, else the system one, else
 * none; `required` when named, so that a wrong path is an error rather than no settings.
 */
export function envFileFor(
  env: Record<string, string | undefined>,
  cwd: string,
  exists: (path: string) => boolean = existsSync,
): { path: string; required: boolean } | undefined {
  const named = env[ENV_FILE_VARIABLE];
  if (named) return { path: resolve(cwd, named), required: true };
  const local = join(cwd, ".env");
  if (exists(local)) return { path: local, required: false };
  if (exists(SYSTEM_ENV_FILE)) return { path: SYSTEM_ENV_FILE, required: false };
  return undefined;
}

function readDotEnv(
  env: Record<string, string | undefined>,
  cwd: string,
): { values: Record<string, string>; problem?: string } {
  const file = envFileFor(env, cwd);
  if (file === undefined) return { values: {} };
  const label = file.path === join(cwd, ".env") ? ".env" : file.path;
  try {
    return { values: parseEnv(readFileSync(file.path, "utf8")) as Record<string, string> };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The system file is root's (mode 0600): systemd hands its settings to the service's user as
    // variables (EnvironmentFile=), and that user may not read it itself.
    if (!file.required && file.path === SYSTEM_ENV_FILE && code === "EACCES") return { values: {} };
    const reason = code === "ENOENT" ? "no such file" : (error as Error).message;
    return { values: {}, problem: `${label}: could not be read (${reason})` };
  }
}

/** Gathers each setting's raw text and where it came from; the environment wins over .env. */
export function gatherSettings(env: Record<string, string | undefined>, cwd: string): RawSettings {
  const dotEnv = readDotEnv(env, cwd);
  const problems = dotEnv.problem ? [dotEnv.problem] : [];
  const values: Record<string, string | undefined> = {};
  const sources: Record<string, SettingSource> = {};
  const lookup = (name: string): [string | undefined, SettingSource] => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== "") return [fromEnv, "environment"];
    const fromFile = dotEnv.values[name];
    if (fromFile !== undefined && fromFile !== "") return [fromFile, ".env"];
    return [undefined, "unset"];
  };
  for (const setting of settings) {
    let [value, source] = lookup(setting.name);
    for (const [alias, target] of Object.entries(ALIASES)) {
      if (target !== setting.name) continue;
      const [aliased, aliasSource] = lookup(alias);
      if (aliased === undefined) continue;
      if (value !== undefined && value !== aliased) {
        problems.push(`${alias}: conflicts with ${setting.name}; set only one of them`);
      }
      if (value === undefined) [value, source] = [aliased, aliasSource];
    }
    if (value === undefined && setting.default !== undefined)
      [value, source] = [setting.default, "default"];
    values[setting.name] = value;
    sources[setting.name] = source;
  }
  return { values, sources, problems, misspelt: findMisspellings(env, dotEnv.values) };
}

/**
 * The tenants file, its ${VAR} read from the environment and .env; the variables it reads are
 * no misspellings, whatever their names, and are taken out of `gathered`'s.
 */
export function readTenants(
  env: Record<string, string | undefined>,
  cwd: string,
  file: string,
  gathered: RawSettings,
): { tenantsFile: TenantsFile; gathered: RawSettings } {
  const dotEnv = readDotEnv(env, cwd).values;
  const used = new Set<string>();
  const lookup = (name: string) => {
    used.add(name);
    return (env[name] || undefined) ?? (dotEnv[name] || undefined);
  };
  const tenantsFile = readTenantsFile(file, { cwd, lookup });
  const misspelt = gathered.misspelt?.filter((m) => !used.has(m.key));
  return { tenantsFile, gathered: { ...gathered, misspelt } };
}
