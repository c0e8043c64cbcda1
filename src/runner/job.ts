// The job's switch, schedule override and "run now" request, kept in the store so that the CLI,
// the dashboard and a running service agree on them. Every read and write of these values goes
// through here, so that their keys and encodings are written down once.

import type { ObservedBucket } from "../auth0/pacer.ts";
import type { JobStore } from "../interfaces.ts";

const JOB_ENABLED = "enabled";
const JOB_SCHEDULE = "schedule";
/** A "run now" asked for on a replica that does not hold the job: the holder runs it. */
const JOB_RUN_NOW = "run_now";

export async function isEnabled(store: JobStore): Promise<boolean> {
  return (await store.state.get(JOB_ENABLED)) !== "false";
}

export async function setEnabled(store: JobStore, enabled: boolean): Promise<void> {
  await store.state.set(JOB_ENABLED, enabled ? "true" : "false");
}

/** The schedule stored over SCHEDULE, if any (not validated: an older version may have stored it). */
export function storedSchedule(store: JobStore): Promise<string | null> {
  return store.state.get(JOB_SCHEDULE);
}

/** Stores a schedule (validated by the caller) over SCHEDULE; null removes it. */
export async function storeSchedule(store: JobStore, expression: string | null): Promise<void> {
  if (expression === null) await store.state.delete(JOB_SCHEDULE);
  else await store.state.set(JOB_SCHEDULE, expression);
}

/** Asks the job's holder, wherever it runs, to run it now. */
export async function requestRunNow(store: JobStore): Promise<void> {
  await store.state.set(JOB_RUN_NOW, new Date().toISOString());
}

/** Whether a run now was asked for; the request is taken (removed) when it was. */
export async function takeRunNowRequest(store: JobStore): Promise<boolean> {
  if (!(await store.state.get(JOB_RUN_NOW))) return false;
  await store.state.delete(JOB_RUN_NOW);
  return true;
}

const JOB_RATE_LIMIT = "rate_limit";

/** The Management API bucket as an execution last saw it, for `status` and the dashboard. */
export interface RecordedBucket {
  limit: number;
  remaining: number;
  /** Tokens per second, as estimated from the headers; null when they did not allow it. */
  refillPerSecond: number | null;
  /** When the answer that said so came (ISO 8601). */
  at: string;
  /** AUTH0_RATE_LIMIT_SHARE in force then (0-1). */
  share: number;
  /** share × refill × BATCH_SIZE: the most events a minute the exporter reads; null if unknown. */
  ceilingPerMinute: number | null;
}

/** The bucket a pacer saw, with the share in force and the most events a minute that allows. */
export function bucketRecord(
  bucket: ObservedBucket,
  share: number,
  pageSize: number,
): RecordedBucket {
  const refill = bucket.refillPerSecond;
  return {
    ...bucket,
    at: new Date(bucket.at).toISOString(),
    share,
    ceilingPerMinute: refill === null ? null : Math.round(share * refill * 60 * pageSize),
  };
}

export async function recordBucket(store: JobStore, bucket: RecordedBucket): Promise<void> {
  await store.state.set(JOB_RATE_LIMIT, JSON.stringify(bucket));
}

/** The bucket last recorded, or null (none yet, or a value this version cannot read). */
export async function recordedBucket(store: JobStore): Promise<RecordedBucket | null> {
  const raw = await store.state.get(JOB_RATE_LIMIT);
  if (raw === null || raw.length > 4096) return null;
  try {
    const value = JSON.parse(raw) as RecordedBucket;
    return typeof value?.limit === "number" && typeof value.remaining === "number" ? value : null;
  } catch {
    return null;
  }
}

const JOB_VERIFIED = "last_verification";

/** The last `verify` of the tenant, for `status` and the dashboard. */
export interface RecordedVerification {
  /** When it ended (ISO 8601). */
  at: string;
  /** The period compared (ISO 8601). */
  from: string;
  until: string;
  atAuth0: number;
  present: number;
  /** Missing at the end (after a repair, what it could not fix). */
  missing: number;
  deadLettered: number;
  /** Re-sent by --repair; null without it. */
  repaired: number | null;
  runId: number;
}

export async function recordVerification(
  store: JobStore,
  verification: RecordedVerification,
): Promise<void> {
  await store.state.set(JOB_VERIFIED, JSON.stringify(verification));
}

/** The last verification recorded, or null (none yet, or a value this version cannot read). */
export async function lastVerification(store: JobStore): Promise<RecordedVerification | null> {
  const raw = await store.state.get(JOB_VERIFIED);
  if (raw === null || raw.length > 4096) return null;
  try {
    const value = JSON.parse(raw) as RecordedVerification;
    return typeof value?.at === "string" && typeof value.missing === "number" ? value : null;
  } catch {
    return null;
  }
}

/** The last verification for people, as `status` and the dashboard word it. */
export function verificationText(v: RecordedVerification): string {
  const when = (iso: string) => iso.replace("T", " ").slice(0, 16);
  const result =
    v.missing === 0
      ? "nothing missing"
      : `${v.missing} missing (${v.repaired === null ? "'verify --repair' re-sends them" : "still, after a repair"})`;
  const letters = v.deadLettered > 0 ? `, ${v.deadLettered} dead letters` : "";
  const repaired = v.repaired ? `, ${v.repaired} re-sent` : "";
  return `${when(v.at)} UTC (run ${v.runId}), ${when(v.from)} to ${when(v.until)}: ${v.atAuth0} events at Auth0, ${result}${letters}${repaired}`;
}
