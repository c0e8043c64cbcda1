// The settings table of the README and docs/settings.md, made from the one table of settings.
// `node src/config/settings-doc.ts` prints it.

import { settings } from "./settings.ts";

export function settingsTable(): string {
  const rows = settings.map((s) => {
    const fallback = s.required
      ? "**required**"
      : s.default !== undefined
        ? `\`${s.default}\``
        : "unset";
    const secret = s.secret ? " Secret: never shown." : "";
    const range = s.range ? ` From ${s.range}.` : "";
    return `| \`${s.name}\` | ${fallback} | ${s.description}${range}${secret} |`;
  });
  return ["| setting | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

if (import.meta.main) process.stdout.write(`${settingsTable()}\n`);
