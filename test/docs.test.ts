// The README documents every setting, exactly as the settings table defines it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { settingsTable } from "../src/config/settings-doc.ts";

const cells = (line: string) =>
  line
    .split("|")
    .map((cell) => cell.trim())
    .filter((cell) => cell !== "")
    .join(" | ");

it("the README's settings table is the one generated from src/config/settings.ts", () => {
  const readme = new Set(
    readFileSync(new URL("../README.md", import.meta.url), "utf8")
      .split("\n")
      .map(cells),
  );
  for (const row of settingsTable().split("\n").slice(2)) {
    assert.ok(
      readme.has(cells(row)),
      `README lacks: ${row}\n(run: node scripts/update-readme-settings.ts)`,
    );
  }
});
