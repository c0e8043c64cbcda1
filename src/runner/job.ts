// The job's switch and schedule override, kept in the store so that the CLI, the dashboard and a
// running service agree on them.

import type { Store } from "../interfaces.ts";

export const JOB_ENABLED = "enabled";
export const JOB_SCHEDULE = "schedule";

export async function isEnabled(store: Store): Promise<boolean> {
  return (await store.getJob(JOB_ENABLED)) !== "false";
}
