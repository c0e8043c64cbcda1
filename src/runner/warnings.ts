// Conditions worth a warning in the run record, the logs and Slack, though nothing failed.

import { timeOfCheckpoint } from "../auth0/checkpoint.ts";
import { duration } from "../util/duration-text.ts";

/** An execution that starts from a checkpoint older than the tenant's retention may have lost events. */
export function retentionWarning(
  checkpoint: string,
  retentionMs: number,
  now = Date.now(),
): string | null {
  const time = timeOfCheckpoint(checkpoint);
  if (!time || now - time.getTime() <= retentionMs) return null;
  return `the checkpoint ${checkpoint} is ${duration(now - time.getTime())} old, beyond the tenant's log retention of ${duration(retentionMs)} (AUTH0_LOG_RETENTION): events older than ${new Date(now - retentionMs).toISOString()} may already be deleted by Auth0`;
}

/** After catching up, a newest event long ago suggests the tenant's logs stopped reaching us. */
export function staleWarning(
  checkpoint: string,
  staleAfterMs: number,
  now = Date.now(),
): string | null {
  const time = timeOfCheckpoint(checkpoint);
  if (!time || now - time.getTime() <= staleAfterMs) return null;
  return `the newest exported event is ${duration(now - time.getTime())} old (STALE_AFTER ${duration(staleAfterMs)}): is the tenant logging, and is this the right tenant?`;
}
