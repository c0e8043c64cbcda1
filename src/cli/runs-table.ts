import type { RunRecord } from "../interfaces.ts";
import { duration } from "../util/duration-text.ts";
import { columns } from "./format.ts";

export function runsTable(runs: RunRecord[]): string {
  // Only a tenant with a Log Stream has events the sweep left out for it: the column shows then.
  const streamed = runs.some((run) => run.streamed > 0);
  const rows = runs.map((run) => [
    String(run.id),
    run.trigger,
    // Not a plain success: documents were refused and kept as dead letters.
    run.outcome === "success" && run.rejected > 0 ? "success with dead letters" : run.outcome,
    run.startedAt.replace("T", " ").slice(0, 19),
    run.endedAt ? duration(Date.parse(run.endedAt) - Date.parse(run.startedAt)) : "…",
    String(run.read),
    String(run.sent),
    String(run.filtered),
    ...(streamed ? [String(run.streamed)] : []),
    String(run.rejected),
    run.error
      ? run.error.slice(0, 60)
      : run.outcome === "skipped-events" || run.outcome === "skipped"
        ? (run.warnings[0] ?? "").slice(0, 60)
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
    ...(streamed ? ["STREAMED"] : []),
    "DEAD",
    "NOTE",
  ];
  return columns(header, rows);
}
