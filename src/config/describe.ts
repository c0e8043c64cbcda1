// The effective settings for people (the dashboard): each value with secrets masked, and where it
// came from.

import { gatherSettings, type SettingSource } from "./load.ts";
import { settings } from "./settings.ts";

export interface SettingView {
  name: string;
  group: string;
  value: string | null;
  source: SettingSource;
  secret: boolean;
  description: string;
}

export function describeSettings(
  env: Record<string, string | undefined>,
  cwd: string,
): SettingView[] {
  const raw = gatherSettings(env, cwd);
  return settings.map((setting) => {
    const value = raw.values[setting.name];
    return {
      name: setting.name,
      group: setting.group,
      value: value === undefined ? null : setting.secret ? "•••••• (set)" : value,
      source: raw.sources[setting.name] ?? "unset",
      secret: Boolean(setting.secret),
      description: setting.description,
    };
  });
}
