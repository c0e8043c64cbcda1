// Human renderings for the terminal: durations, lag, progress and summaries.

import type { ExecutionResult, Progress } from "../runner/execution.ts";
import { countsText } from "../util/counts-text.ts";
import { duration } from "../util/duration-text.ts";

export { duration };

/** A table for the terminal: a header row and rows of cells, each column as wide as its widest. */
export function columns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function progressLine(p: Progress, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((p.read / elapsedMs) * 1000) : 0;
  const lag = p.lagMs === null ? "" : `, ${duration(p.lagMs)} behind`;
  return `${countsText(p)} (${rate}/s) in ${p.batches} batches${lag}`;
}

export function summary(result: ExecutionResult): string {
  const lines = [
    `${result.outcome === "success" ? "Caught up" : result.outcome === "aborted" ? "Stopped" : "Failed"}: ${countsText(result)} in ${result.batches} batches, ${duration(result.durationMs)} (run ${result.runId}, ${result.retries} retries)`,
    `Checkpoint: ${result.checkpoint}${result.lagMs === null ? "" : ` (${duration(result.lagMs)} behind)`}`,
  ];
  for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
  if (result.error) {
    lines.push(`Reason: ${result.error}`);
    lines.push(
      `Nothing after the checkpoint was skipped; the next execution resumes there (to replay from it elsewhere: START_FROM=${result.checkpoint}).`,
    );
  }
  return `${lines.join("\n")}\n`;
}
