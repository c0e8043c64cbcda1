// The runner's ordering, with in-memory parts and no sockets: read, send and commit in page order,
// several batches in flight when the sink allows it, and never a commit past a batch that failed;
// and what a tail poll records (runner/tail.ts).

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
import { foldTarget, TAIL_RUN_SPAN_MS } from "../src/runner/tail.ts";
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

/** A store that records commits and runs; `commit` holds the compare-and-set rule. */
function store() {
  let checkpoint = id(0);
  const commits: string[] = [];
  /** The runs started (their ids), the run each commit went to, and how each run ended. */
  const runs = { started: [] as number[], committedTo: [] as number[], finished: [] as unknown[] };
  const stub = {
    verify: async () => {},
    checkpoints: {
      get: async () => ({ checkpoint, startFromApplied: null, updatedAt: null }),
      set: async () => {},
      async commit(run: number, expected: string, step: CommitStep) {
        assert.equal(expected, checkpoint, "commits come in page order");
        checkpoint = step.checkpoint;
        commits.push(step.checkpoint);
        runs.committedTo.push(run);
      },
    },
    runs: {
      start: async () => {
        runs.started.push(runs.started.length + 1);
        return runs.started.length;
      },
      finish: async (
        run: number,
        end: { outcome: string; retries: number; warnings: string[] },
      ) => {
        runs.finished.push([run, end.outcome, end.retries, end.warnings]);
      },
    },
  };
  return { store: stub as unknown as JobStore, commits, runs, checkpoint: () => checkpoint };
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

describe("a tail poll", () => {
  const failing: Source = {
    ...source(0),
    read: async () => {
      throw new Error("Auth0 is down");
    },
  };
  /** The open tail run, which left the checkpoint where the store has it. */
  const open = {
    runId: 7,
    startedAt: Date.now() - 1000,
    checkpoint: id(0),
    retries: 2,
    warnings: ["earlier"],
  };

  it("that reads nothing records nothing and keeps the tail run open", async () => {
    const s = store();
    const result = await quietExecution({
      source: source(0),
      store: s.store,
      sink: sink(1, () => 0),
      trigger: "tail",
      poll: { into: open },
    });
    assert.equal(result.outcome, "success");
    assert.equal(result.runId, null);
    assert.deepEqual(s.runs, { started: [], committedTo: [], finished: [] });
    assert.equal(result.tailRun, open);
  });

  it("that reads events starts the tail run at its first commit when none is open", async () => {
    const s = store();
    const result = await quietExecution({
      source: source(2),
      store: s.store,
      sink: sink(1, () => 0),
      trigger: "tail",
      poll: { into: null },
    });
    assert.equal(result.runId, 1);
    assert.deepEqual(s.runs, {
      started: [1],
      committedTo: [1, 1],
      finished: [[1, "success", 0, []]],
    });
    assert.equal(result.tailRun?.runId, 1);
  });

  it("that reads events folds them into the open tail run", async () => {
    const s = store();
    const result = await quietExecution({
      source: source(2),
      store: s.store,
      sink: sink(1, () => 0),
      trigger: "tail",
      poll: { into: open },
    });
    assert.equal(result.runId, 7);
    assert.deepEqual(s.runs, {
      started: [],
      committedTo: [7, 7],
      finished: [[7, "success", 2, ["earlier"]]],
    });
    assert.deepEqual(
      result.tailRun,
      { ...open, checkpoint: id(20) },
      "the same run, from its start",
    );
  });

  it("that goes on from elsewhere than the open tail run left (a replay) starts another", async () => {
    const s = store();
    const result = await quietExecution({
      source: source(1),
      store: s.store,
      sink: sink(1, () => 0),
      trigger: "tail",
      poll: { into: { ...open, checkpoint: id(50) } },
    });
    assert.equal(result.runId, 1);
    assert.deepEqual(s.runs.committedTo, [1]);
  });

  it("folds into the open tail run only while it spans less than TAIL_RUN_SPAN", () => {
    const now = Date.now();
    assert.equal(foldTarget(open, now), open);
    assert.equal(foldTarget({ ...open, startedAt: now - TAIL_RUN_SPAN_MS }, now), null);
    assert.equal(foldTarget(null, now), null);
  });

  it("that fails is recorded: the open tail run ends failed, or a failed run is started", async () => {
    const folded = store();
    const ended = await quietExecution({
      source: failing,
      store: folded.store,
      sink: sink(1, () => 0),
      trigger: "tail",
      poll: { into: open },
    });
    assert.equal(ended.outcome, "failed");
    assert.equal(ended.runId, 7);
    assert.deepEqual(folded.runs.finished, [[7, "failed", 2, ["earlier"]]]);
    assert.equal(ended.tailRun, null, "the next poll opens another tail run");
    const fresh = store();
    const started = await quietExecution({
      source: failing,
      store: fresh.store,
      sink: sink(1, () => 0),
      trigger: "tail",
      poll: { into: null },
    });
    assert.equal(started.runId, 1);
    assert.deepEqual(fresh.runs.finished, [[1, "failed", 0, []]]);
  });
});
