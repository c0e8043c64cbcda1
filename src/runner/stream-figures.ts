// What `status` and the dashboard say of a tenant's Log Stream, read from the store by any process:
// the status the last sweep read (stream-health.ts), and the events each path delivered in the
// last 24 hours with the age of the last push, so that a stream that silently delivers nothing is
// seen (the sweep then fills everything, and the last push grows old).

import { describe } from "../errors.ts";
import type { JobStore } from "../interfaces.ts";
import { duration } from "../util/duration-text.ts";
import { readStreamHealth, type StreamHealth } from "./stream-health.ts";

/** The window of the figures: a day, as the dashboard's chart. */
export const FIGURES_WINDOW_MS = 86_400_000;

export interface StreamFigures {
  /** LOG_STREAM_ID, when the stream is watched. */
  id: string | null;
  /** The last sweep's reading; null before the first (or without LOG_STREAM_ID). */
  health: StreamHealth | null;
  /** Events delivered in the window by each path; null when the store could not say. */
  delivered: { stream: number; sweep: number } | null;
  lastPushAt: string | null;
  /** Why the record of delivered ids could not be read. */
  error: string | null;
}

export async function streamFigures(
  store: JobStore,
  logStream: { id: string | undefined },
  now = Date.now(),
): Promise<StreamFigures> {
  const health = logStream.id ? await readStreamHealth(store) : null;
  const figures: StreamFigures = {
    id: logStream.id ?? null,
    health: health?.id === logStream.id ? health : null,
    delivered: null,
    lastPushAt: null,
    error: null,
  };
  try {
    const since = new Date(now - FIGURES_WINDOW_MS).toISOString();
    const { stream, sweep, lastPushAt } = await store.delivered.summary(since);
    return { ...figures, delivered: { stream, sweep }, lastPushAt };
  } catch (error) {
    return { ...figures, error: describe(error) };
  }
}

/** The stream's status line: what the last sweep read, and since when it is not active. */
export function streamStatusText(figures: StreamFigures, now = Date.now()): string {
  if (figures.id === null)
    return "not watched (set LOG_STREAM_ID to read its status on each sweep)";
  const { health } = figures;
  if (health === null) return `${figures.id}, status not read yet (the next sweep reads it)`;
  const read = `read ${duration(now - health.checkedAt)} ago`;
  if (health.status === null) return `${figures.id}, status unknown: ${health.error} (${read})`;
  const since =
    health.status !== "active" && health.downSince !== null
      ? `, not active for ${duration(now - health.downSince)}`
      : "";
  const resumed =
    health.resumedAt !== null && now - health.resumedAt < FIGURES_WINDOW_MS
      ? `, resumed ${duration(now - health.resumedAt)} ago (LOG_STREAM_RESUME)`
      : "";
  return `${figures.id} ${health.status}${since}${resumed} (${read})`;
}

/** Events by path and the last push: "by stream N, filled by the sweep M (last 24 h), last push X ago". */
export function streamEventsText(figures: StreamFigures, now = Date.now()): string {
  if (figures.delivered === null) return `unknown: ${figures.error ?? "not read"}`;
  const { stream, sweep } = figures.delivered;
  const last = figures.lastPushAt === null ? Number.NaN : Date.parse(figures.lastPushAt);
  const push = Number.isFinite(last)
    ? `last push ${duration(Math.max(0, now - last))} ago`
    : "no push recorded";
  return `by stream ${stream}, filled by the sweep ${sweep} (last 24 h), ${push}`;
}
