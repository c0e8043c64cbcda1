// Rewrites the settings table in README.md from src/config/settings.ts (a test checks they agree).

import { readFileSync, writeFileSync } from "node:fs";
import { settingsTable } from "../src/config/settings-doc.ts";

const path = new URL("../README.md", import.meta.url);
const lines = readFileSync(path, "utf8").split("\n");
const start = lines.findIndex((line) => line.startsWith("| setting"));
let end = start;
while (end < lines.length && lines[end]?.startsWith("|")) end++;
lines.splice(start, end - start, ...settingsTable().split("\n"));
writeFileSync(path, lines.join("\n"));
