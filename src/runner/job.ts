// The job's switch and schedule override, kept in the store so that the CLI, the dashboard and a
// running service agree on them.

import type { JobStore } from "../interfaces.ts";

export const JOB_ENABLED = "enabled";
export const JOB_SCHEDULE = "schedule";
/** A "run now" asked for on a replica that does not hold the job: the holder runs it. */
export const JOB_RUN_NOW = "run_now";

export async function isEnabled(store: JobStore): Promise<boolean> {
  return (await store.state.get(JOB_ENABLED)) !== "false";
}
