// The effective settings for people (the dashboard): each value with secrets masked, and where it
// came from.

import { maskUrlCredentials } from "../util/secrets.ts";
import { tenantSettings } from "./deployment.ts";
import { gatherSettings, type SettingSource } from "./gather.ts";
import { settings } from "./settings.ts";

export interface SettingView {
  name: string;
  group: string;
  /** "process": one value for the whole deployment; "job": each tenant may have its own. */
  scope: "process" | "job";
  value: string | null;
  source: SettingSource;
  /** Where the tenants file sets it (`tenants.yaml:12`), when it does. */
  where: string | null;
  secret: boolean;
  description: string;
}

/**
 * The settings of one tenant (`tenant`), or of the process (`scope: "process"`), as loaded now.
 * Values made with ${VAR} are masked like secrets: the variable may hold one.
 */
export function describeSettings(
  env: Record<string, string | undefined>,
  cwd: string,
  options: { tenant?: string; scope?: "process" | "job" } = {},
): SettingView[] {
  const { raw, where } = tenantSettings(env, cwd, options.tenant);
  return settings
    .filter((setting) => options.scope === undefined || setting.scope === options.scope)
    .map((setting) => {
      const value = raw.values[setting.name];
      const masked = setting.secret || raw.concealed?.has(setting.name);
      return {
        name: setting.name,
        group: setting.group,
        scope: setting.scope,
        value: value === undefined ? null : masked ? "•••••• (set)" : maskUrlCredentials(value),
        source: raw.sources[setting.name] ?? "unset",
        where: where.get(setting.name) ?? null,
        secret: Boolean(setting.secret),
        description: setting.description,
      };
    });
}

/**
 * The settings page: the tenants file CONFIG_FILE names now (null: none), and the process's
 * settings with one, or the one tenant's and the process's without one.
 */
export function settingsPage(
  env: Record<string, string | undefined>,
  cwd: string,
): { file: string | null; settings: SettingView[] } {
  const file = gatherSettings(env, cwd).values.CONFIG_FILE?.trim() || null;
  return { file, settings: describeSettings(env, cwd, file ? { scope: "process" } : {}) };
}
