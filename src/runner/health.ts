// A tenant's health at a glance, derived from what `status` and the dashboard already read: one
// word an operator, a probe or a script can act on. The decision is pure (tenantHealth); the one
// read it needs beyond the status (when the tenant last caught up) is at the bottom.
//
// How far behind a tenant is counts from when it last caught up, not only from its checkpoint:
// a quiet tenant's checkpoint stays old while every execution catches up, and nothing of it is at
// risk. Retention is what this tool exists for: Auth0 deletes events after AUTH0_LOG_RETENTION,
// so an export that falls over half of it behind is at risk of losing events for good.

import { isExecution, type JobStore, type RunRecord } from "../interfaces.ts";
import { duration } from "../util/duration-text.ts";
import type { JobStatus } from "./job-actions.ts";
import { parseSchedule } from "./schedule.ts";

/** Worst first: the order in which states win, and the header shows the worst of the tenants. */
export const HEALTH_STATES = [
  "at-risk",
  "failing",
  "lagging",
  "dead-letters",
  "ok",
  "disabled",
] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** The words a person reads; the state is the stable value for scripts. */
export const HEALTH_LABELS: Record<HealthState, string> = {
  "at-risk": "retention at risk",
  failing: "failing",
  lagging: "lagging",
  "dead-letters": "success with dead letters",
  ok: "ok",
  disabled: "disabled",
};

export interface Health {
  state: HealthState;
  label: string;
  /** Why, in a sentence each; empty when ok. */
  reasons: string[];
}

/** What the decision reads of a tenant's status. */
export type HealthInput = Pick<
  JobStatus,
  "enabled" | "checkpointTime" | "checkpointProblem" | "consecutiveFailures" | "lastRun"
> & {
  deadLetters: { pending: number };
  /** When an execution last ended caught up (ISO), since the last replay; null: unknown. */
  caughtUpAt: string | null;
};

export interface HealthLimits {
  staleAfterMs: number;
  retentionMs: number;
  /** The tenant's SCHEDULE expression. */
  schedule: string;
}

/** The limits of a tenant's settings, with the schedule in effect (it may be changed at run time). */
export function healthLimits(
  job: { staleAfterMs: number; auth0LogRetentionMs: number },
  schedule: string,
): HealthLimits {
  return { staleAfterMs: job.staleAfterMs, retentionMs: job.auth0LogRetentionMs, schedule };
}

/** Lagging from this many SCHEDULE periods behind (one period is normal between two ticks). */
const PERIODS = 3;
/** At risk from this share of AUTH0_LOG_RETENTION behind. */
const RISK_SHARE = 0.5;

/** The time between the schedule's next two ticks; null when it does not fire twice more. */
export function schedulePeriodMs(expression: string, now: number): number | null {
  try {
    const schedule = parseSchedule(expression);
    const first = schedule.next(new Date(now));
    const second = first && schedule.next(first);
    return first && second ? second.getTime() - first.getTime() : null;
  } catch {
    return null;
  }
}

/** Failures count while the retry runs: a tenant retrying after a failure is still failing. */
export function tenantHealth(input: HealthInput, limits: HealthLimits, now: number): Health {
  const make = (state: HealthState, reasons: string[]): Health => ({
    state,
    label: HEALTH_LABELS[state],
    reasons,
  });
  const behindMs = exportedBehindMs(input, now);
  const behind = behindMs === null ? "" : duration(behindMs);
  if (!input.enabled) {
    const note = behindMs === null ? [] : [`${behind} behind`];
    return make("disabled", ["no executions until enabled", ...note]);
  }
  const reasons: Partial<Record<HealthState, string>> = {};
  if (behindMs !== null && behindMs > limits.retentionMs * RISK_SHARE) {
    reasons["at-risk"] =
      `${behind} behind, over half of AUTH0_LOG_RETENTION (${duration(limits.retentionMs)}): Auth0 deletes events older than that, exported or not`;
  }
  const failures = input.consecutiveFailures;
  const verified = input.lastRun?.trigger === "verify" || input.lastRun?.trigger === "repair";
  if (failures > 0) {
    reasons.failing =
      failures > 1 ? `the last ${failures} executions failed` : "the last execution failed";
  } else if (input.lastRun?.outcome === "failed") {
    // A verification fails when the index lacks events: exported events are missing.
    reasons.failing = verified
      ? "the last verification found events missing from the index ('verify --repair')"
      : "the last execution failed";
  } else if (input.checkpointProblem) {
    reasons.failing = `the checkpoint cannot be read from: ${input.checkpointProblem}`;
  }
  const period = schedulePeriodMs(limits.schedule, now);
  const lagAfter = Math.min(limits.staleAfterMs, period === null ? Infinity : period * PERIODS);
  // At risk says how far behind already: lagging would only repeat it.
  if (behindMs !== null && behindMs > lagAfter && !reasons["at-risk"]) {
    reasons.lagging =
      lagAfter === limits.staleAfterMs
        ? `${behind} behind, over STALE_AFTER (${duration(limits.staleAfterMs)})`
        : `${behind} behind, over ${PERIODS} SCHEDULE periods (${duration(lagAfter)})`;
  }
  const run = input.lastRun;
  if (run && run.outcome === "success" && run.rejected > 0 && input.deadLetters.pending > 0) {
    reasons["dead-letters"] =
      `the last execution dead-lettered ${run.rejected} document(s); ${input.deadLetters.pending} waiting`;
  }
  const found = HEALTH_STATES.filter((state) => reasons[state] !== undefined);
  const worst = found[0];
  if (worst === undefined) return make("ok", []);
  return make(
    worst,
    found.map((state) => reasons[state] as string),
  );
}

/**
 * How long ago the export last held everything: the later of the checkpoint's time and the end of
 * the last execution that caught up. Null before any checkpoint (nothing exported, nothing known).
 */
export function exportedBehindMs(input: HealthInput, now: number): number | null {
  if (input.checkpointProblem) return null;
  const times = [input.checkpointTime, input.caughtUpAt]
    .filter((t): t is string => t !== null)
    .map((t) => Date.parse(t))
    .filter((t) => Number.isFinite(t));
  if (times.length === 0) return null;
  return Math.max(0, now - Math.max(...times));
}

/** A state a probe should fail on: events are not being exported, or are about to be lost. */
export function needsAttention(health: Health): boolean {
  return health.state === "failing" || health.state === "at-risk";
}

/** The worst state of several tenants (the dashboard's header); ok when there are none. */
export function worstHealth(states: HealthState[]): HealthState {
  return HEALTH_STATES.find((state) => states.includes(state)) ?? "ok";
}

/**
 * When an execution last ended caught up, from the newest runs: a success of an execution (not a
 * replay, a verification). A replay newer than it moved the checkpoint: then only that counts.
 */
export function caughtUpAt(runs: RunRecord[]): string | null {
  for (const run of runs) {
    if (run.trigger === "replay") return null;
    if (isExecution(run) && run.outcome === "success" && run.endedAt) return run.endedAt;
  }
  return null;
}

/** The tenant's health: its status and the newest runs, read from the store. */
export async function readHealth(
  status: JobStatus,
  store: JobStore,
  limits: HealthLimits,
  now = Date.now(),
): Promise<Health> {
  const runs = await store.runs.list({ limit: 20 }).catch(() => []);
  return tenantHealth({ ...status, caughtUpAt: caughtUpAt(runs) }, limits, now);
}
