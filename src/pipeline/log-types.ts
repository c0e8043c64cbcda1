// The Auth0 event type codes, with the level the original extension gave them. Newer codes have no
// legacy level; they get one derived from their Log Streams category, then from their name:
//   1. category ending in ".fail"                      → error (3)
//   2. category ending in ".success"                   → info (1)
//   3. category "auth.login.notification"              → warning (2)
//   4. otherwise, name or code says failed/blocked/denied/error/breach → error (3)
//   5. otherwise, name or code says warning/limit/deprecat/suspicious  → warning (2)
//   6. otherwise                                       → info (1)
// Codes missing from the table are unknown: category "other", no level (see filter.ts).

import { readFileSync } from "node:fs";

export const LEVELS = ["debug", "info", "warning", "error", "critical"] as const;

export interface LogTypeInfo {
  code: string;
  event: string;
  description: string;
  category: string;
  level: number;
  levelSource: "legacy" | "derived";
}

export function deriveLevel(code: string, event: string, category: string): number {
  if (category.endsWith(".fail")) return 3;
  if (category.endsWith(".success")) return 1;
  if (category === "auth.login.notification") return 2;
  const words = `${code} ${event}`.toLowerCase();
  if (/fail|blocked|denied|error|breach/.test(words)) return 3;
  if (/warning|limit|deprecat|suspicious/.test(words)) return 2;
  return 1;
}

function load(): Map<string, LogTypeInfo> {
  const text = readFileSync(new URL("./auth0-log-types.tsv", import.meta.url), "utf8");
  const types = new Map<string, LogTypeInfo>();
  for (const line of text.split("\n").slice(1)) {
    if (line.trim() === "") continue;
    const [code = "", event = "", description = "", category = "other", legacy = ""] =
      line.split("\t");
    const legacyLevel = LEVELS.indexOf(legacy.trim() as (typeof LEVELS)[number]);
    types.set(code, {
      code,
      event,
      description,
      category,
      level: legacyLevel >= 0 ? legacyLevel : deriveLevel(code, event, category),
      levelSource: legacyLevel >= 0 ? "legacy" : "derived",
    });
  }
  return types;
}

export const logTypes: ReadonlyMap<string, LogTypeInfo> = load();

export function describeType(code: string | undefined): string {
  if (code === undefined) return "Unknown event type";
  return logTypes.get(code)?.event || `Unknown event type (${code})`;
}

export function levelOf(code: string | undefined): number | undefined {
  return code === undefined ? undefined : logTypes.get(code)?.level;
}

/** Accepts 0-4 or a level name (case-insensitive; "warn" for warning). */
export function parseLevel(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (/^[0-4]$/.test(value)) return Number(value);
  const index = LEVELS.indexOf((value === "warn" ? "warning" : value) as (typeof LEVELS)[number]);
  return index >= 0 ? index : undefined;
}
