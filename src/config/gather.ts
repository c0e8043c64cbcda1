// Where settings come from: the environment and ./.env, read once per load, and the tenants file
// with its ${VAR} read from the same two. Raw text only: parsing is messages.ts's, assembling
// job.ts's and deployment.ts's.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

function readDotEnv(cwd: string): { values: Record<string, string>; problem?: string } {
  const path = join(cwd, ".env");
  if (!existsSync(path)) return { values: {} };
  try {
    return { values: parseEnv(readFileSync(path, "utf8")) as Record<string, string> };
  } catch (error) {
    return { values: {}, problem: `.env: could not be read (${(error as Error).message})` };
  }
}

/** Gathers each setting's raw text and where it came from; the environment wins over .env. */
export function gatherSettings(env: Record<string, string | undefined>, cwd: string): RawSettings {
  const dotEnv = readDotEnv(cwd);
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
  const dotEnv = readDotEnv(cwd).values;
  const used = new Set<string>();
  const lookup = (name: string) => {
    used.add(name);
    return (env[name] || undefined) ?? (dotEnv[name] || undefined);
  };
  const tenantsFile = readTenantsFile(file, { cwd, lookup });
  const misspelt = gathered.misspelt?.filter((m) => !used.has(m.key));
  return { tenantsFile, gathered: { ...gathered, misspelt } };
}
