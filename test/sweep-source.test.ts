// With a Log Stream the pull is the sweep, which stops LOG_STREAM_SWEEP_DELAY behind now: a page is
// cut before its first event newer than that, the cut page is still sent (it keeps its next read),
// and the read after it answers "caught up" without asking Auth0.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkpointAt } from "../src/auth0/checkpoint.ts";
import type { LogEvent, Page, SinkBatch, Source } from "../src/interfaces.ts";
import { deliveredPruneBefore } from "../src/runner/once.ts";
import { eventsUpTo, eventTime, sweepSource } from "../src/runner/sweep-source.ts";
import { quietExecution } from "./helpers/execution.ts";
import { SQLITE } from "./helpers/stores.ts";

const NOW = Date.parse("2026-11-24T10:00:00Z");
const MINUTE = 60_000;
/** An event indexed `minutesAgo` before NOW (its n-th of that second). */
const at = (minutesAgo: number, n = 0): LogEvent => ({
  log_id: `${checkpointAt(new Date(NOW - minutesAgo * MINUTE)).slice(0, 17)}${String(n).padStart(39, "0")}`,
  type: "s",
});

/** Pages as given, then caught up; counts the reads that reached it. */
function pages(...given: LogEvent[][]): Source & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    firstRead: () => "page:0",
    async read(url): Promise<Page> {
      reads.push(url);
      const index = Number(url.slice(5));
      const events = given[index];
      if (!events) return { events: [], next: null, caughtUp: true };
      return { events, next: `page:${index + 1}`, caughtUp: false };
    },
    authenticate: async () => {},
    close: async () => {},
  };
}

const context = { budget: { deadline: Number.POSITIVE_INFINITY }, stats: undefined } as never;

describe("the sweep's time", () => {
  it("is when Auth0 indexed the event (its log id), else its date, else none", () => {
    assert.equal(eventTime(at(5)), NOW - 5 * MINUTE);
    assert.equal(eventTime({ log_id: "x", date: "2026-11-24T09:59:00.500Z" }), NOW - 59_500);
    assert.equal(eventTime({ log_id: "x" }), null);
  });

  it("keeps the events of a page up to the first one newer than the cutoff", () => {
    const events = [at(9), at(8), at(0.5), at(7)];
    assert.equal(eventsUpTo(events.slice(0, 2), NOW - MINUTE), null, "none newer: nothing cut");
    // A prefix: the event after the newer one waits too (a checkpoint must not pass the held one).
    assert.deepEqual(eventsUpTo(events, NOW - MINUTE), [at(9), at(8)]);
    assert.deepEqual(eventsUpTo([at(0.5), at(9)], NOW - MINUTE), []);
    assert.equal(eventsUpTo([{ log_id: "x" }], NOW - MINUTE), null, "no time: not held back");
  });
});

describe("the sweep source", () => {
  it("passes pages older than the delay through, and the caught-up page", async () => {
    const source = pages([at(9), at(8)], [at(7)]);
    const sweep = sweepSource(source, MINUTE, () => NOW);
    assert.deepEqual(await sweep.read("page:0", context), {
      events: [at(9), at(8)],
      next: "page:1",
      caughtUp: false,
    });
    assert.equal((await sweep.read("page:1", context)).events.length, 1);
    assert.equal((await sweep.read("page:2", context)).caughtUp, true);
  });

  it("cuts a page at the delay, keeps its next read so it is sent, then answers caught up alone", async () => {
    const source = pages([at(9), at(0.5, 1), at(0.5, 2)], [at(0.2)]);
    const sweep = sweepSource(source, MINUTE, () => NOW);
    assert.deepEqual(await sweep.read("page:0", context), {
      events: [at(9)],
      next: "page:1",
      caughtUp: false,
    });
    assert.deepEqual(await sweep.read("page:1", context), {
      events: [],
      next: null,
      caughtUp: true,
    });
    assert.deepEqual(source.reads, ["page:0"], "Auth0 not asked again");
  });

  it("answers caught up when a page's first event is already too recent", async () => {
    const sweep = sweepSource(pages([at(0.5), at(0.4)]), MINUTE, () => NOW);
    assert.deepEqual(await sweep.read("page:0", context), {
      events: [],
      next: null,
      caughtUp: true,
    });
  });

  it("ends an execution behind the delay, having sent and committed up to there", async (t) => {
    // Real time here: the execution reads the clock itself.
    const now = Date.now();
    const ago = (ms: number, n: number): LogEvent => ({
      log_id: `${checkpointAt(new Date(now - ms)).slice(0, 17)}${String(n).padStart(39, "0")}`,
      type: "s",
    });
    const old = [ago(9 * MINUTE, 1), ago(8 * MINUTE, 2)];
    const recent = [ago(0, 3), ago(0, 4)];
    const source = pages(old, [ago(7 * MINUTE, 5), ...recent], recent);
    const sent: string[] = [];
    const store = (await SQLITE.open(t)).forJob("default");
    await store.checkpoints.set(ago(10 * MINUTE, 0).log_id, { kind: "initial", lookbackMs: 0 });
    const result = await quietExecution({
      store,
      source: sweepSource(source, MINUTE),
      sink: {
        info: { kind: "logstash", target: "memory" },
        async send(batch: SinkBatch) {
          sent.push(...batch.ids);
          return { delivered: batch.ids.length, rejected: [] };
        },
        check: async () => undefined,
        close: async () => {},
      },
    });
    assert.equal(result.outcome, "success");
    assert.deepEqual(
      sent,
      [...old, ago(7 * MINUTE, 5)].map((e) => e.log_id),
    );
    assert.equal(result.checkpoint, ago(7 * MINUTE, 5).log_id);
    assert.deepEqual(source.reads, ["page:0", "page:1"]);
  });
});

describe("the record of delivered ids, pruned after a sweep", () => {
  it("keeps what the sweep may read again and what a stream may re-deliver (a week)", () => {
    const weekAgo = checkpointAt(new Date(NOW - 7 * 86_400_000));
    assert.equal(deliveredPruneBefore(at(2).log_id, NOW), weekAgo);
    const lagging = checkpointAt(new Date(NOW - 9 * 86_400_000));
    assert.equal(deliveredPruneBefore(lagging, NOW), lagging, "a sweep 9 days behind");
  });
});
