// With a Log Stream, the pull is the sweep: it fills the gaps the stream left, and must not race
// the stream for the events it is delivering right now (each would then be sent by both, or the
// sweep would do the stream's work). So the sweep stops LOG_STREAM_SWEEP_DELAY behind now: a page
// is cut before its first event newer than that, and the execution ends there, as caught up; the
// next sweep goes on from the last event sent. One per execution.

import { timeOfCheckpoint } from "../auth0/checkpoint.ts";
import type { LogEvent, Page, ReadContext, Source } from "../interfaces.ts";

/** The end of a pass: what a source answers when it has nothing newer. */
const CAUGHT_UP: Page = { events: [], next: null, caughtUp: true };

/**
 * When Auth0 indexed the event, by its log id (second precision), else its `date`; null when
 * neither says (such an event is not held back: only a time can say it is too recent).
 */
export function eventTime(event: LogEvent): number | null {
  const indexed = timeOfCheckpoint(event.log_id);
  if (indexed) return indexed.getTime();
  const date = typeof event.date === "string" ? Date.parse(event.date) : Number.NaN;
  return Number.isNaN(date) ? null : date;
}

/**
 * The events of a page up to `cutoff` (epoch ms), in order: a prefix, since a batch's checkpoint is
 * its last event and must not pass one held back. Null when none is newer than the cutoff.
 */
export function eventsUpTo(events: LogEvent[], cutoff: number): LogEvent[] | null {
  const newer = events.findIndex(
    (event) => (eventTime(event) ?? Number.NEGATIVE_INFINITY) > cutoff,
  );
  return newer === -1 ? null : events.slice(0, newer);
}

/**
 * `source` read so that a pass ends `delayMs` behind now. The execution sends no event of a page
 * that ends it (caught up, or without a next read), so a cut page keeps its `next` and is sent, and
 * the read that follows it answers "caught up" without asking the source.
 */
export function sweepSource(source: Source, delayMs: number, now = Date.now): Source {
  /** A page was cut: this pass is over, whatever the source still has. */
  let ended = false;
  return {
    firstRead: (from) => source.firstRead(from),
    authenticate: (context) => source.authenticate(context),
    close: () => source.close(),
    async read(url: string, context: ReadContext): Promise<Page> {
      if (ended) return CAUGHT_UP;
      const page = await source.read(url, context);
      if (page.caughtUp) return page;
      const kept = eventsUpTo(page.events, now() - delayMs);
      if (kept === null) return page;
      ended = true;
      return kept.length === 0 ? CAUGHT_UP : { ...page, events: kept };
    },
  };
}
