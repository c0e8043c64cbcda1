// Figures of the reliability suite, written to test-results/reliability.json for docs/reliability.md.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const path = new URL("../../test-results/reliability.json", import.meta.url);

export function report(section: string, figures: Record<string, unknown>): void {
  mkdirSync(new URL(".", path), { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(path, "utf8"));
  } catch {}
  all[section] = { ...figures, at: new Date().toISOString() };
  writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`);
}
