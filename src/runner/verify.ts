// `verify`: reads a period of the tenant's events from Auth0 (checkpoint pagination, paced like an
// execution) and looks each event the tenant's filters keep up in the index, a batch of ids at a
// time, counting per hour what Auth0 has, what the filters leave out, what the index holds, what
// it lacks, and what is a dead letter (known and listed, not missing). `--repair` sends what is
// missing through the sink as an execution would, and looks again. Neither moves the checkpoint.

import { setTimeout as sleep } from "node:timers/promises";
import type {
  Checkpoint,
  DeliveryReport,
  LogEvent,
  Page,
  Rejection,
  SendContext,
  Sink,
} from "../interfaces.ts";
import type { Batcher } from "../pipeline/batch.ts";
import { timeOfLogId } from "../util/log-id.ts";
import { deliver } from "./deliver.ts";

/** Ids looked up together; the lookup splits bigger batches again to its own limit. */
export const VERIFY_BATCH = 1000;

export interface HourCounts {
  /** The hour's start, ISO 8601 UTC. */
  hour: string;
  /** Events Auth0 has in the hour. */
  atAuth0: number;
  /** Left out by LOG_TYPES / LOG_LEVEL: never sent, so not looked for. */
  filtered: number;
  present: number;
  missing: number;
  /** Not in the index, but a pending dead letter: known, and listed by `dead-letters`. */
  deadLettered: number;
  /** After the tenant's checkpoint, not in the index: not sent yet, not missing. */
  unsent: number;
}

export type Totals = Omit<HourCounts, "hour">;

export interface Verification {
  from: Checkpoint;
  /** The start of the period, ISO 8601 (the time of `from`). */
  start: string;
  until: string;
  /** The last event of the period read (null: none). */
  last: Checkpoint | null;
  hours: HourCounts[];
  totals: Totals;
  /** Ids missing from the index, ascending. */
  missing: string[];
  /** The missing events themselves, when asked for (a repair sends them). */
  missingEvents: LogEvent[];
  deadLettered: string[];
}

export interface VerifyDeps {
  source: {
    firstRead(from: Checkpoint): string;
    read(url: string, context: SendContext): Promise<Page>;
  };
  lookup: (ids: string[], context: SendContext) => Promise<Set<string>>;
  /** The tenant's filters (makeFilter). */
  keep: (event: LogEvent) => boolean;
  /** Log ids of the tenant's pending dead letters. */
  deadLetters: Set<string>;
  /** The tenant's checkpoint: events after it are not sent yet. */
  checkpoint: Checkpoint | null;
  context: SendContext;
  keepMissing: boolean;
  /**
   * How long to wait before looking the missing ones up a second time: an index shows a document
   * only after its refresh (1 s by default), so the last second's events would look missing.
   */
  settleMs: number;
  /** Told after each page: events read so far, and the time reached. */
  progress?: ((read: number, at: Date) => void) | undefined;
}

export const NO_TOTALS: Totals = {
  atAuth0: 0,
  filtered: 0,
  present: 0,
  missing: 0,
  deadLettered: 0,
  unsent: 0,
};

/** The hour an event is counted in: its date as the index shows it, else its id's time. */
function hourOf(event: LogEvent): string {
  const date = typeof event.date === "string" ? new Date(event.date) : null;
  const time = date && !Number.isNaN(date.getTime()) ? date : timeOfLogId(event.log_id);
  return `${(time ?? new Date(0)).toISOString().slice(0, 13)}:00:00Z`;
}

export async function verifyPeriod(
  deps: VerifyDeps,
  period: { from: Checkpoint; until: Date },
): Promise<Verification> {
  const rows = new Map<string, HourCounts>();
  /** The hour of each missing event, to move it if a second look finds it. */
  const hourOfId = new Map<string, string>();
  const row = (hour: string) => {
    let found = rows.get(hour);
    if (!found) {
      found = { hour, ...NO_TOTALS };
      rows.set(hour, found);
    }
    return found;
  };
  const result: Verification = {
    from: period.from,
    start: (timeOfLogId(period.from) ?? new Date(0)).toISOString(),
    until: period.until.toISOString(),
    last: null,
    hours: [],
    totals: { ...NO_TOTALS },
    missing: [],
    missingEvents: [],
    deadLettered: [],
  };
  const judge = async (events: LogEvent[]) => {
    const found = await deps.lookup(
      events.map((event) => event.log_id),
      deps.context,
    );
    for (const event of events) {
      const counts = row(hourOf(event));
      if (found.has(event.log_id)) counts.present++;
      else if (deps.deadLetters.has(event.log_id)) {
        counts.deadLettered++;
        result.deadLettered.push(event.log_id);
      } else if (deps.checkpoint === null || event.log_id > deps.checkpoint) counts.unsent++;
      else {
        counts.missing++;
        hourOfId.set(event.log_id, hourOf(event));
        result.missing.push(event.log_id);
        if (deps.keepMissing) result.missingEvents.push(event);
      }
    }
  };
  // One lookup in flight while the next pages are read: Auth0's pace is the limit, not the index.
  let inflight: Promise<void> = Promise.resolve();
  let waiting: LogEvent[] = [];
  const flush = async () => {
    const batch = waiting;
    waiting = [];
    await inflight;
    inflight = judge(batch);
    inflight.catch(() => {}); // awaited at the next flush or the end
  };
  let url: string | null = deps.source.firstRead(period.from);
  let read = 0;
  const until = period.until.getTime();
  while (url !== null) {
    const page: Page = await deps.source.read(url, deps.context);
    url = page.caughtUp ? null : page.next;
    for (const event of page.events) {
      const time = timeOfLogId(event.log_id)?.getTime() ?? 0;
      if (time > until) {
        url = null;
        break;
      }
      read++;
      result.last = event.log_id;
      const counts = row(hourOf(event));
      counts.atAuth0++;
      if (!deps.keep(event)) counts.filtered++;
      else waiting.push(event);
    }
    if (waiting.length >= VERIFY_BATCH || url === null) await flush();
    const last = page.events[page.events.length - 1];
    if (last) deps.progress?.(read, timeOfLogId(last.log_id) ?? new Date(until));
  }
  await inflight;
  if (result.missing.length > 0 && deps.settleMs > 0) {
    await sleep(deps.settleMs, undefined, { signal: deps.context.signal });
    await settled(deps, result, (id) => row(hourOfId.get(id) ?? ""));
  }
  result.hours = [...rows.values()].sort((a, b) => a.hour.localeCompare(b.hour));
  for (const counts of result.hours) {
    for (const key of Object.keys(NO_TOTALS) as (keyof Totals)[]) {
      result.totals[key] += counts[key];
    }
  }
  result.missing.sort();
  return result;
}

/** Moves what the index shows now from missing to present. */
async function settled(
  deps: VerifyDeps,
  result: Verification,
  rowOf: (id: string) => HourCounts,
): Promise<void> {
  const found = await deps.lookup(result.missing, deps.context);
  if (found.size === 0) return;
  for (const id of found) {
    const counts = rowOf(id);
    counts.missing--;
    counts.present++;
  }
  result.missing = result.missing.filter((id) => !found.has(id));
  result.missingEvents = result.missingEvents.filter((event) => !found.has(event.log_id));
}

/**
 * Sends the missing events through the sink as an execution does (the filters and shaping of the
 * batcher, `deliver`), a page at a time; what the sink refuses for good is returned, to be kept as
 * dead letters. Moves no checkpoint.
 */
export async function repairMissing(
  deps: { sink: Sink; batcher: Batcher; context: SendContext; batchSize: number },
  events: LogEvent[],
): Promise<{ sent: number; rejected: Rejection[] }> {
  let sent = 0;
  const rejected: Rejection[] = [];
  for (let start = 0; start < events.length; start += deps.batchSize) {
    const batch = deps.batcher(events.slice(start, start + deps.batchSize));
    const report: DeliveryReport = await deliver(deps.sink, batch.payload, deps.context);
    sent += report.delivered;
    rejected.push(...report.rejected);
  }
  return { sent, rejected };
}

/**
 * Looks the re-sent ids up until the index holds them all or `waitMs` passed: an index shows a
 * document after its refresh (1 s by default), and Logstash indexes a batch after it answered.
 * Returns those still missing.
 */
export async function awaitIndexed(
  lookup: VerifyDeps["lookup"],
  ids: string[],
  context: SendContext,
  waitMs: number,
): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  let left = ids;
  let delay = 250;
  while (left.length > 0) {
    const found = await lookup(left, context);
    left = left.filter((id) => !found.has(id));
    if (left.length === 0 || Date.now() >= deadline) break;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), undefined, {
      signal: context.signal,
    });
    delay = Math.min(delay * 2, 4000);
  }
  return left;
}
