// Each event once, on the sweep's side: for a tenant with a Log Stream, an execution leaves out what
// the record of delivered ids has (pushed by the stream), counts it as streamed, and records what
// the sink acknowledged in the commit; what the sink refused is a dead letter, not delivered. A
// tenant without a stream records nothing. On every store, in-process, then through `once`.

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { checkpointAt } from "../src/auth0/checkpoint.ts";
import { runsTable } from "../src/cli/runs-table.ts";
import {
  type JobStore,
  type LogEvent,
  NO_COUNTS,
  type Page,
  type RunRecord,
  type SinkBatch,
  type Source,
} from "../src/interfaces.ts";
import { countsText } from "../src/util/counts-text.ts";
import { quietExecution } from "./helpers/execution.ts";
import { STORE_DRIVERS } from "./helpers/stores.ts";
import { world } from "./helpers/world.ts";

const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;
const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => id(from + i));
const SINCE = "2000-01-01T00:00:00.000Z";

/** Three pages of ten events (ids 1 to 30), then caught up. */
const source: Source = {
  firstRead: () => "page:0",
  async read(url): Promise<Page> {
    const page = Number(url.slice(5));
    if (page === 3) return { events: [], next: null, caughtUp: true };
    const events: LogEvent[] = ids(page * 10 + 1, 10).map((log_id) => ({ log_id, type: "s" }));
    return { events, next: `page:${page + 1}`, caughtUp: false };
  },
  authenticate: async () => {},
  close: async () => {},
};

/** Two batches in flight (as a cluster), the first one slow; refuses `refused` for good. */
function sink(refused: Set<string>) {
  const batches: string[][] = [];
  return {
    batches,
    info: { kind: "elasticsearch", target: "memory", concurrency: 2 },
    async send(batch: SinkBatch) {
      batches.push(batch.ids);
      if (batches.length === 1) await sleep(30);
      const rejected = batch.ids
        .filter((logId) => refused.has(logId))
        .map((logId) => ({ id: logId, status: 400, reason: "mapping", document: {} }));
      return { delivered: batch.ids.length - rejected.length, rejected };
    },
    check: async () => undefined,
    close: async () => {},
  };
}

async function started(
  open: (t: TestContext) => Promise<{ forJob(job: string): JobStore }>,
  t: TestContext,
) {
  const job = (await open(t)).forJob("default");
  await job.checkpoints.set(id(0), { kind: "initial", lookbackMs: 0 });
  return job;
}

for (const driver of STORE_DRIVERS) {
  describe(`the sweep with a Log Stream: ${driver.name}`, () => {
    it("sends none of what the stream delivered, counts it as streamed, and records what it sent", async (t) => {
      const store = await started((c) => driver.open(c), t);
      // Pushed: two of page 1, all of page 3 (its batch then has nothing to send).
      const pushed = [id(3), id(4), ...ids(21, 10)];
      await store.delivered.record(pushed, "stream");
      const out = sink(new Set([id(12)]));
      const result = await quietExecution({ store, source, sink: out, delivered: store.delivered });

      assert.equal(result.outcome, "success");
      assert.deepEqual(out.batches.flat(), [...ids(1, 2), ...ids(5, 16)]);
      assert.equal(out.batches.length, 2, "a batch left empty is not sent");
      assert.deepEqual(
        [result.read, result.sent, result.streamed, result.rejected, result.batches],
        [30, 17, 12, 1, 3],
      );
      assert.equal(result.checkpoint, id(30), "the checkpoint passes what was left out");
      const run = await store.runs.get(result.runId as number);
      assert.deepEqual([run?.sent, run?.streamed, run?.rejected], [17, 12, 1]);

      const known = await store.delivered.known(ids(1, 30));
      assert.equal(known.has(id(12)), false, "refused: a dead letter, not delivered");
      assert.equal(known.size, 29);
      assert.deepEqual(
        await store.delivered.summary(SINCE).then((s) => [s.stream, s.sweep]),
        [12, 17],
      );
      assert.deepEqual(
        (await store.deadLetters.list({ state: "pending", limit: 5 })).map((d) => d.logId),
        [id(12)],
      );
    });

    it("without a stream, sends everything and records nothing", async (t) => {
      const store = await started((c) => driver.open(c), t);
      await store.delivered.record([id(3)], "stream");
      const out = sink(new Set());
      const result = await quietExecution({ store, source, sink: out });
      assert.equal(out.batches.flat().length, 30);
      assert.equal(result.streamed, 0);
      assert.deepEqual(
        await store.delivered.summary(SINCE).then((s) => [s.stream, s.sweep]),
        [1, 0],
      );
    });
  });
}

describe("once, for a tenant with a Log Stream", () => {
  for (const driver of STORE_DRIVERS) {
    it(`${driver.name}: leaves out what was pushed and what is newer than the sweep delay`, async (t) => {
      const w = await world(t, { tenant: { backlog: 40 }, store: driver });
      const backlog = w.tenant.eventIds();
      const recent = w.tenant.addEvents(3);
      const pushed = backlog.slice(10, 20);
      // Pushed 8 days ago: a stream no longer re-delivers it, and the sweep is past it.
      const old = `${checkpointAt(new Date(Date.now() - 8 * 86_400_000)).slice(0, 17)}${"7".repeat(39)}`;
      await w.withStore((s) => s.forJob("default").delivered.record([...pushed, old], "stream"));
      const stream = { LOG_STREAM_TOKEN: "Bearer 0123456789abcdef0123456789abcdef" };

      const once = await w.once(stream);
      assert.equal(once.code, 0, once.stderr);
      const counts = w.logstash.idCounts();
      assert.deepEqual(
        backlog.filter((logId) => !counts.has(logId)),
        pushed,
      );
      assert.equal(
        recent.some((logId) => counts.has(logId)),
        false,
        "within LOG_STREAM_SWEEP_DELAY",
      );
      assert.deepEqual(w.duplicates(), []);
      const { checkpoint, runs } = await w.stored();
      assert.equal(checkpoint, backlog.at(-1));
      assert.deepEqual([runs[0]?.read, runs[0]?.sent, runs[0]?.streamed], [40, 30, 10]);
      const recorded = await w.withStore((s) => s.forJob("default").delivered.summary(SINCE));
      assert.deepEqual([recorded.stream, recorded.sweep], [10, 30], "the old one pruned");

      // The next sweep, still within the delay of the recent ones: nothing to do.
      assert.equal((await w.once(stream)).code, 0);
      assert.equal(w.logstash.idCounts().size, 30);
      const runsText = await w.once(stream, ["--json"]);
      assert.equal(JSON.parse(runsText.stdout).streamed, 0);
    });
  }
});

describe("the counts for people", () => {
  const counts = { read: 40, sent: 30, filtered: 0, streamed: 0, rejected: 0 };
  it("say what the sweep left out as streamed only when it left some out", () => {
    assert.equal(countsText(counts), "read 40, sent 30, filtered 0");
    assert.equal(
      countsText({ ...counts, streamed: 10, rejected: 1 }),
      "read 40, sent 30, filtered 0, 10 already streamed, 1 dead-lettered",
    );
  });

  it("show a STREAMED column in `runs` only when a run has some", () => {
    const run = {
      ...NO_COUNTS,
      id: 1,
      trigger: "schedule",
      startedAt: "2026-11-24T10:00:00.000Z",
      endedAt: "2026-11-24T10:00:01.000Z",
      outcome: "success",
      retries: 0,
      firstCheckpoint: null,
      lastCheckpoint: null,
      warnings: [],
      error: null,
      holder: null,
      epoch: null,
      committedEpochs: null,
    } satisfies RunRecord;
    assert.doesNotMatch(runsTable([run]), /STREAMED/);
    const table = runsTable([run, { ...run, id: 2, streamed: 7 }]);
    assert.match(table, /FILTERED +STREAMED +DEAD/);
  });
});
