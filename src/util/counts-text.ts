// Counts for people, written the same way in the CLI, the logs and Slack.

/** The counts it says (RunCounts has them): a structural type, so util/ needs none of the ports. */
export interface CountsForText {
  read: number;
  sent: number;
  filtered: number;
  streamed: number;
  rejected: number;
}

export function countsText(counts: CountsForText): string {
  // Only a tenant with a Log Stream has any: the others' texts stay as they were.
  const streamed = counts.streamed > 0 ? `, ${counts.streamed} already streamed` : "";
  const rejected = counts.rejected > 0 ? `, ${counts.rejected} dead-lettered` : "";
  return `read ${counts.read}, sent ${counts.sent}, filtered ${counts.filtered}${streamed}${rejected}`;
}
