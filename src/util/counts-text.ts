// Counts for people, written the same way in the CLI, the logs and Slack.

import type { RunCounts } from "../interfaces.ts";

export function countsText(counts: Omit<RunCounts, "batches">): string {
  const rejected = counts.rejected > 0 ? `, ${counts.rejected} dead-lettered` : "";
  return `read ${counts.read}, sent ${counts.sent}, filtered ${counts.filtered}${rejected}`;
}
