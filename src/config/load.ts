// Reads the settings from the environment and ./.env (and the tenants file), validates all of them
// before anything runs, and reports every problem at once, each naming the setting and showing a
// good example. The entry points; the work is in gather.ts (where values come from), messages.ts
// (how problems are said), job.ts (one tenant), deployment.ts (every tenant) and setup-targets.ts.

import { ConfigError } from "../errors.ts";
import { gatherSettings } from "./gather.ts";
import { buildConfig } from "./job.ts";
import { misspeltWarnings, parseRows } from "./messages.ts";
import { settings } from "./settings.ts";
import type { Config } from "./types.ts";

export { describeDeployment, loadDeployment, tenantSettings } from "./deployment.ts";
export { gatherSettings, type RawSettings, type SettingSource } from "./gather.ts";
export { loadSetupTargets, type SetupTarget } from "./setup-targets.ts";

/** One tenant's settings and the process's, from the environment and .env (no tenants file). */
export function loadConfig(
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): Config {
  const { config, problems } = buildConfig(gatherSettings(env, options.cwd ?? process.cwd()));
  if (config === undefined) throw new ConfigError(problems);
  return { ...config.job, ...config.process };
}

/**
 * Validates only the named settings: for commands that need the store, not Auth0 or a sink. The
 * warnings are the names that are not settings, as every command says them.
 */
export function loadSome(
  env: Record<string, string | undefined>,
  names: string[],
  options: { cwd?: string } = {},
): { values: Record<string, unknown>; warnings: string[] } {
  const raw = gatherSettings(env, options.cwd ?? process.cwd());
  // The settings file's own problems (one --env-file names that does not exist) too.
  const problems: string[] = [...raw.problems];
  const parsed = parseRows(
    raw,
    settings.filter((s) => names.includes(s.name)).map((s) => ({ ...s, required: false })),
    problems,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return { values: parsed, warnings: misspeltWarnings(raw) };
}
