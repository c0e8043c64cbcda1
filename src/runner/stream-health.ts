// The tenant's Log Stream, watched from the sweep: each scheduled execution of a tenant with
// LOG_STREAM_ID reads the stream's status (read:log_streams). Anything but `active` is a warning in
// the run, the log_stream_status metric, a line in `status` and on the dashboard, and one Slack
// message per episode (on leaving active, and one when it is active again: no storm, whatever the
// sweeps in between read). With LOG_STREAM_RESUME it is set back to active (update:log_streams)
// and the run says so. A status that cannot be read is a warning too, never a failed sweep: the
// sweep is what fills the gaps whatever the stream does.

import type { Logger } from "pino";
import type { LogStream } from "../auth0/log-streams.ts";
import type { JobConfig } from "../config/types.ts";
import { describe } from "../errors.ts";
import type { JobStore, Notifier } from "../interfaces.ts";
import type { JobObserver } from "../ports/observers.ts";
import { logStreamResumed, logStreamWarning } from "../util/run-warnings.ts";

/** Where the last reading and the episode are kept (job state: shared by replicas, kept by restarts). */
export const STREAM_HEALTH_STATE = "log_stream_health";

/** What the last sweep read of the stream, for `status`, the dashboard and the next sweep. */
export interface StreamHealth {
  id: string;
  /** As read (before any resume); null when it could not be read. */
  status: string | null;
  /** When it was read (epoch ms). */
  checkedAt: number;
  /** Why it could not be read. */
  error: string | null;
  /** When LOG_STREAM_RESUME last set it back to active (epoch ms). */
  resumedAt: number | null;
  /** Since when it has not been active (epoch ms): an episode Slack was told of; null: none. */
  downSince: number | null;
}

/** What a sweep does about one reading: the pure part, decided from the previous state. */
export function nextHealth(
  previous: StreamHealth | null,
  reading: { id: string; status: string | null; error: string | null; resumed: boolean },
  now: number,
): { health: StreamHealth; episode: "began" | "ended" | null } {
  // Another stream id (LOG_STREAM_ID changed): nothing of the old one's episode carries over.
  const before = previous?.id === reading.id ? previous : null;
  const health: StreamHealth = {
    id: reading.id,
    status: reading.status,
    checkedAt: now,
    error: reading.error,
    resumedAt: reading.resumed ? now : (before?.resumedAt ?? null),
    downSince: before?.downSince ?? null,
  };
  // An unknown status says nothing of the episode: it neither begins nor ends one.
  if (reading.status === null) return { health, episode: null };
  if (reading.status !== "active") {
    if (health.downSince !== null) return { health, episode: null };
    return { health: { ...health, downSince: now }, episode: "began" };
  }
  if (health.downSince === null) return { health, episode: null };
  return { health: { ...health, downSince: null }, episode: "ended" };
}

export interface StreamHealthDeps {
  config: Pick<JobConfig, "id" | "logStream">;
  /** The Management API's log streams (auth0/log-streams.ts). */
  client: {
    get(id: string, signal?: AbortSignal): Promise<LogStream>;
    update(id: string, change: { status: "active" }, signal?: AbortSignal): Promise<LogStream>;
  };
  store: JobStore;
  observer: JobObserver;
  notifier: Notifier;
  logger: Logger;
}

/** The stream's last reading, as the store keeps it; null when none (or unreadable). */
export async function readStreamHealth(store: JobStore): Promise<StreamHealth | null> {
  try {
    const raw = await store.state.get(STREAM_HEALTH_STATE);
    return raw ? (JSON.parse(raw) as StreamHealth) : null;
  } catch {
    return null;
  }
}

/**
 * Reads the stream's status (and resumes it when asked), tells the metrics, the store and Slack;
 * returns the run's warnings. Never throws: a failed read is one of the warnings.
 */
export async function checkStreamHealth(
  deps: StreamHealthDeps,
  signal?: AbortSignal,
): Promise<string[]> {
  const stream = deps.config.logStream;
  if (!stream?.id) return [];
  const { id, resume } = stream;
  const { client, observer, logger } = deps;
  const job = deps.config.id;
  const warnings: string[] = [];
  let status: string | null = null;
  let error: string | null = null;
  let resumed = false;
  let warning: string | null = null;
  try {
    status = (await client.get(id, signal)).status;
  } catch (failure) {
    error = describe(failure);
    warnings.push(`could not read the Log Stream ${id}'s status: ${error}`);
  }
  if (status !== null && status !== "active") {
    if (resume) {
      try {
        await client.update(id, { status: "active" }, signal);
        resumed = true;
        warning = logStreamResumed(id, status).text;
      } catch (failure) {
        warnings.push(`could not resume the Log Stream ${id}: ${describe(failure)}`);
      }
    }
    warning ??= logStreamWarning(id, status, resume).text;
    warnings.unshift(warning);
  }
  observer.logStreamStatus(job, resumed ? "active" : status);
  await tellLastPush(deps);
  const previous = await readStreamHealth(deps.store);
  const { health, episode } = nextHealth(previous, { id, status, error, resumed }, Date.now());
  await deps.store.state.set(STREAM_HEALTH_STATE, JSON.stringify(health)).catch((failure) => {
    logger.warn(`the Log Stream's status could not be stored: ${describe(failure)}`);
  });
  if (episode === "began" && status !== null && warning !== null) {
    deps.notifier.logStreamChanged({ active: false, id, status, resumed, warning });
  } else if (episode === "ended" && previous?.downSince != null) {
    deps.notifier.logStreamChanged({ active: true, id, forMs: Date.now() - previous.downSince });
  }
  return warnings;
}

/** The store's latest push, for the metric of a replica that took no push itself yet. */
async function tellLastPush(deps: StreamHealthDeps): Promise<void> {
  try {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const { lastPushAt } = await deps.store.delivered.summary(since);
    const at = lastPushAt === null ? Number.NaN : Date.parse(lastPushAt);
    if (Number.isFinite(at)) {
      deps.observer.pushed(
        deps.config.id,
        { delivered: 0, duplicates: 0, filtered: 0, rejected: 0 },
        at,
      );
    }
  } catch {
    // The record of delivered ids is the intake's; its failures are told where it is used.
  }
}
