// One push from a tenant's Log Stream, delivered: the same filters, shaping, sink and dead letters
// as the sweep, and the record of delivered ids consulted before sending and written after, so
// that each event reaches the sink once whichever path brought it first. A push never touches the
// checkpoint: its events come unordered, and the sweep behind the stream is what makes the export
// complete. Success (the 2xx the sender waits for) only once every element is acknowledged by the
// sink, found already delivered, left out by the filters, or stored as a dead letter.

import type { DeliveredIds, LogEvent, Rejection, Sink } from "../interfaces.ts";
import type { Shaper } from "../pipeline/shape.ts";
import { deliver } from "../runner/deliver.ts";
import type { RetryContext } from "../util/retry.ts";
import type { RefusedElement, StreamBody } from "./stream-body.ts";

/** What the intake holds for one tenant that accepts pushes. */
export interface PushTarget {
  sink: Sink;
  keep: (event: LogEvent) => boolean;
  shape: Shaper;
  delivered: DeliveredIds;
}

/** How one push's elements were accounted for. */
export interface PushCounts {
  /** Acknowledged by the sink now. */
  delivered: number;
  /** Delivered before (by the sweep or an earlier push) or twice in this body: not sent again. */
  duplicates: number;
  /** Left out by LOG_TYPES / LOG_LEVEL. */
  filtered: number;
  /** Kept as dead letters: refused by the sink for good, or by the intake (an invalid element). */
  rejected: number;
}

/** The longest a refused element's id is kept: anything longer is not an Auth0 id anyway. */
const SHOWN_ID = 80;

/** An element the intake refused, as a dead letter: kept as it came, with why. */
export function refusedLetter(refused: RefusedElement): Rejection {
  const id = refused.logId === null ? `element ${refused.index}` : refused.logId.slice(0, SHOWN_ID);
  const element = refused.element;
  const document =
    element !== null && typeof element === "object" && !Array.isArray(element)
      ? (element as Record<string, unknown>)
      : { element };
  return {
    id,
    status: 400,
    reason: `refused by the Log Streams intake (element ${refused.index} of the push): ${refused.reason}`,
    document,
  };
}

/**
 * Delivers a push's events through the tenant's sink and records the outcome; resolves with the
 * counts once everything is accounted for, and throws (nothing recorded) when the sink or the
 * store fails or the context's signal aborts: the sender is then told to send again.
 */
export async function deliverPush(
  target: PushTarget,
  body: StreamBody,
  context: RetryContext,
): Promise<PushCounts> {
  // The same event twice in one body (a re-delivery inside a batch) is sent once.
  const seen = new Set<string>();
  const events: LogEvent[] = [];
  let duplicates = 0;
  for (const { event } of body.events) {
    if (seen.has(event.log_id)) duplicates++;
    else {
      seen.add(event.log_id);
      events.push(event);
    }
  }
  const passed = events.filter(target.keep);
  const filtered = events.length - passed.length;
  const release = await target.delivered.claim(
    passed.map((event) => event.log_id),
    context.signal,
  );
  try {
    return await deliverClaimed(target, body, context, passed, { duplicates, filtered });
  } finally {
    release();
  }
}

/** The push's events that passed the filters, held (claimed) by this delivery. */
async function deliverClaimed(
  target: PushTarget,
  body: StreamBody,
  context: RetryContext,
  passed: LogEvent[],
  counted: { duplicates: number; filtered: number },
): Promise<PushCounts> {
  let { duplicates } = counted;
  const { filtered } = counted;
  const known =
    passed.length === 0
      ? new Set<string>()
      : await target.delivered.known(passed.map((event) => event.log_id));
  const fresh = passed.filter((event) => !known.has(event.log_id));
  duplicates += passed.length - fresh.length;
  const ids = fresh.map((event) => event.log_id);
  const report = await deliver(target.sink, { documents: target.shape(fresh), ids }, context);
  const refusedIds = new Set(report.rejected.map((rejection) => rejection.id));
  const letters = [...report.rejected, ...body.refused.map(refusedLetter)];
  const acknowledged = ids.filter((id) => !refusedIds.has(id));
  if (acknowledged.length > 0 || letters.length > 0) {
    await target.delivered.record(
      acknowledged,
      "stream",
      letters.length > 0 ? { rejections: letters, sink: target.sink.info.target } : undefined,
    );
  }
  return { delivered: report.delivered, duplicates, filtered, rejected: letters.length };
}
