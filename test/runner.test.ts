// The runner's ordering, with in-memory parts and no sockets: read, send and commit in page order,
// several batches in flight when the sink allows it, and never a commit past a batch that failed.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SinkError } from "../src/errors.ts";
import type {
  CommitStep,
  DeliveryReport,
  JobStore,
  LogEvent,
  Page,
  Sink,
  SinkBatch,
  Source,
} from "../src/interfaces.ts";
import { quietExecution } from "./helpers/execution.ts";

const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;

/** Pages of `size` events each, then the empty page that means caught up. */
function source(pages: number, size = 10): Source {
  return {
    firstRead: (from) => `page:${from}`,
    async read(url): Promise<Page> {
      const from = url.slice(5);
      const start = from === id(0) ? 1 : Number(from.slice(17)) + 1;
      if (start > pages * size) return { events: [], next: null, caughtUp: true };
      const events: LogEvent[] = Array.from({ length: size }, (_, i) => ({
        log_id: id(start + i),
        type: "s",
      }));
      return { events, next: `page:${id(start + size - 1)}`, caughtUp: false };
    },
    authenticate: async () => {},
    close: async () => {},
  };
}

/** A store that records commits; `commit` holds the compare-and-set rule. */
function store() {
  let checkpoint = id(0);
  const commits: string[] = [];
  const stub = {
    verify: async () => {},
    checkpoints: {
      get: async () => ({ checkpoint, startFromApplied: null, updatedAt: null }),
      set: async () => {},
      async commit(_run: number, expected: string, step: CommitStep) {
        assert.equal(expected, checkpoint, "commits come in page order");
        checkpoint = step.checkpoint;
        commits.push(step.checkpoint);
      },
    },
    runs: { start: async () => 1, finish: async () => {} },
  };
  return { store: stub as unknown as JobStore, commits, checkpoint: () => checkpoint };
}

/** A sink whose batches take `delay(n)` ms (n: the batch's number) and may fail. */
function sink(
  concurrency: number,
  delay: (n: number) => number,
  fail?: (n: number) => boolean,
): Sink {
  let n = 0;
  return {
    info: { kind: "elasticsearch", target: "memory", concurrency },
    async send(batch: SinkBatch): Promise<DeliveryReport> {
      const mine = n++;
      await sleep(delay(mine));
      if (fail?.(mine)) throw new SinkError(`batch ${mine} failed`, { retryable: false });
      return { delivered: batch.documents.length, rejected: [] };
    },
    check: async () => undefined,
    close: async () => {},
  };
}

function run(parts: { source: Source; store: JobStore; sink: Sink }, stop?: AbortSignal) {
  return quietExecution({ ...parts, stop });
}

describe("runner", () => {
  it("commits in page order when a later batch is acknowledged first", async () => {
    const s = store();
    // Batch 0 is slow, batch 1 fast: with two in flight, 1 is acknowledged first.
    const result = await run({
      source: source(6),
      store: s.store,
      sink: sink(2, (n) => (n === 0 ? 40 : 1)),
    });
    assert.equal(result.outcome, "success");
    assert.deepEqual(s.commits, [10, 20, 30, 40, 50, 60].map(id));
  });

  it("commits nothing past a batch that failed, even one delivered after it", async () => {
    const s = store();
    const result = await run({
      source: source(6),
      store: s.store,
      sink: sink(
        2,
        (n) => (n === 2 ? 30 : 1),
        (n) => n === 2,
      ),
    });
    assert.equal(result.outcome, "failed");
    assert.match(result.error ?? "", /batch 2 failed/);
    assert.equal(s.checkpoint(), id(20), "batches 0 and 1 only");
  });

  it("with one batch in flight, sends the next only after the previous one is committed", async () => {
    const s = store();
    let inFlight = 0;
    let most = 0;
    const counting: Sink = {
      ...sink(1, () => 0),
      async send(batch) {
        most = Math.max(most, ++inFlight);
        await sleep(2);
        inFlight--;
        return { delivered: batch.documents.length, rejected: [] };
      },
    };
    await run({ source: source(5), store: s.store, sink: counting });
    assert.equal(most, 1);
    assert.equal(s.commits.length, 5);
  });

  it("a stop lets the batches in flight be committed, then sends nothing more", async () => {
    const s = store();
    const stop = new AbortController();
    const slow = sink(2, () => 20);
    const running = run({ source: source(20), store: s.store, sink: slow }, stop.signal);
    await sleep(30);
    stop.abort();
    const result = await running;
    assert.equal(result.outcome, "aborted");
    assert.ok(s.commits.length >= 1 && s.commits.length < 20, `${s.commits.length} commits`);
    assert.equal(s.checkpoint(), s.commits.at(-1));
  });

  it("refuses a report that accounts for fewer documents than were sent", async () => {
    const s = store();
    const short: Sink = {
      ...sink(1, () => 0),
      send: async (batch) => ({ delivered: batch.documents.length - 1, rejected: [] }),
    };
    const result = await run({ source: source(2), store: s.store, sink: short });
    assert.equal(result.outcome, "failed");
    assert.match(result.error ?? "", /accounted for 9 of 10 documents; nothing was committed/);
    assert.deepEqual(s.commits, []);
  });
});
