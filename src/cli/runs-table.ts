import type { RunRecord } from "../interfaces.ts";
import { duration } from "../util/duration-text.ts";

export function runsTable(runs: RunRecord[]): string {
  const rows = runs.map((run) => [
    String(run.id),
    run.trigger,
    run.outcome,
    run.startedAt.replace("T", " ").slice(0, 19),
    run.endedAt ? duration(Date.parse(run.endedAt) - Date.parse(run.startedAt)) : "…",
    String(run.read),
    String(run.sent),
    String(run.filtered),
    String(run.rejected),
    run.error
      ? run.error.slice(0, 60)
      : run.warnings.length
        ? `${run.warnings.length} warning(s)`
        : "",
  ]);
  const header = [
    "RUN",
    "TRIGGER",
    "OUTCOME",
    "STARTED (UTC)",
    "TOOK",
    "READ",
    "SENT",
    "FILTERED",
    "DEAD",
    "NOTE",
  ];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
