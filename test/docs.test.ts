// The README documents every setting, exactly as the settings table defines it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { settingsTable } from "../src/config/settings-doc.ts";

it("the README's settings table is the one generated from src/config/settings.ts", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  assert.ok(
    readme.includes(settingsTable()),
    "run: node src/config/settings-doc.ts and paste it into the README",
  );
});
