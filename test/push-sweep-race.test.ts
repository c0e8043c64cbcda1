// Two copies of one event on their way at the same instant: a push and the sweep (the stream
// re-driving a batch just as the sweep reads the same events, after an outage), or the same push
// twice. Each looks the ids up before the other recorded them; without holding them, both would
// send and Logstash would keep both copies. The delivery that comes second waits for the first to
// be recorded, then finds the events delivered.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { deliverPush, type PushTarget } from "../src/intake/push.ts";
import type { StreamBody } from "../src/intake/stream-body.ts";
import type { LogEvent, Page, SinkBatch, Source } from "../src/interfaces.ts";
import { newStats } from "../src/runner/once.ts";
import { IdClaims } from "../src/util/id-claims.ts";
import { newBudget } from "../src/util/retry.ts";
import { quietExecution } from "./helpers/execution.ts";
import { SQLITE } from "./helpers/stores.ts";

const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;
const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => id(from + i));

/** Like Logstash: keeps every copy; each request takes `ms`. */
function slowSink(ms: number) {
  const received: string[] = [];
  return {
    received,
    info: { kind: "logstash", target: "memory" },
    async send(batch: SinkBatch) {
      await sleep(ms);
      received.push(...batch.ids);
      return { delivered: batch.ids.length, rejected: [] };
    },
    check: async () => undefined,
    close: async () => {},
  };
}

const bodyOf = (logIds: string[]): StreamBody => ({
  format: "lines",
  events: logIds.map((log_id, index) => ({ index, event: { log_id, type: "s" } })),
  refused: [],
});

const context = () => ({ budget: newBudget(5_000), stats: newStats() });

describe("a push and the sweep carrying the same events at once", () => {
  it("the same events reach the sink once, whichever starts first", async (t) => {
    const store = (await SQLITE.open(t)).forJob("default");
    await store.checkpoints.set(id(0), { kind: "initial", lookbackMs: 0 });
    const sink = slowSink(200);
    const target: PushTarget = {
      sink,
      keep: () => true,
      shape: (events) => events as Record<string, unknown>[],
      delivered: store.delivered,
    };
    const source: Source = {
      firstRead: () => "page:0",
      async read(url): Promise<Page> {
        if (url === "page:1") return { events: [], next: null, caughtUp: true };
        const events: LogEvent[] = ids(1, 10).map((log_id) => ({ log_id, type: "s" }));
        return { events, next: "page:1", caughtUp: false };
      },
      authenticate: async () => {},
      close: async () => {},
    };
    // The push starts first and is slow to be acknowledged; the sweep reads the same ten events
    // while it is on the wire.
    const push = deliverPush(target, bodyOf(ids(1, 10)), context());
    await sleep(20);
    const sweep = quietExecution({ store, source, sink, delivered: store.delivered });
    const [counts, result] = await Promise.all([push, sweep]);
    assert.equal(counts.delivered, 10);
    assert.equal(result.streamed, 10, "the sweep found them delivered");
    assert.equal(result.sent, 0);
    assert.deepEqual(sink.received.sort(), ids(1, 10));
    // And the same push twice at once: the second waits, then drops them all.
    const twice = await Promise.all([
      deliverPush(target, bodyOf(ids(11, 5)), context()),
      deliverPush(target, bodyOf(ids(11, 5)), context()),
    ]);
    assert.deepEqual(twice.map((c) => c.delivered).sort(), [0, 5]);
    assert.equal(sink.received.length, 15);
  });
});

describe("IdClaims", () => {
  it("holds ids all or nothing, wakes waiters on release, and gives up when aborted", async () => {
    const claims = new IdClaims();
    const first = await claims.claim(["a", "b"]);
    let second = false;
    const waiting = claims.claim(["b", "c"]).then((release) => {
      second = true;
      return release;
    });
    const other = await claims.claim(["d"]);
    await sleep(10);
    assert.equal(second, false, "waits while b is held");
    assert.equal(claims.size, 3);
    first();
    first();
    const release = await waiting;
    assert.equal(second, true);
    const abort = new AbortController();
    const aborted = claims.claim(["c"], abort.signal);
    abort.abort();
    await assert.rejects(aborted, { name: "AbortedError" });
    release();
    other();
    assert.equal(claims.size, 0);
  });
});
