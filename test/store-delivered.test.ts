// The store's record of delivered ids (Log Streams), part of the store contract, run against every
// driver: what was recorded is known (however many ids are asked at once), an id keeps the path
// that delivered it first, a push's ids and dead letters are stored together or not at all, a
// commit records its batch's ids in its own transaction, and pruning forgets by id (by time).

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { StoreError } from "../src/errors.ts";
import type { CommitStep, Rejection } from "../src/interfaces.ts";
import { STORE_DRIVERS } from "./helpers/stores.ts";

/** Ids of the same second, in order (their time: 2026-11-24 10:00:00 UTC). */
const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;
const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => id(from + i));

function step(checkpoint: string, delivered?: string[]): CommitStep {
  return {
    checkpoint,
    counts: { read: 10, sent: 7, filtered: 0, streamed: 3, rejected: 0, batches: 1 },
    deadLetters: [],
    sink: "test sink",
    delivered,
  };
}

const rejection = (logId: string, document: Record<string, unknown> = { log_id: logId }) =>
  ({ id: logId, status: 400, reason: "mapper_parsing_exception", document }) satisfies Rejection;

for (const driver of STORE_DRIVERS) {
  describe(`store contract: ${driver.name}, delivered ids`, () => {
    const open = (t: TestContext) => driver.open(t);

    it("knows what was recorded, thousands of ids at once, and nothing of another tenant's", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      const pushed = ids(1, 5_000);
      await job.delivered.record(pushed, "stream");
      const asked = [...ids(4_990, 20), ...ids(1, 3)];
      assert.deepEqual(
        [...(await job.delivered.known(asked))].sort(),
        [...ids(4_990, 11), ...ids(1, 3)].sort(),
      );
      assert.equal((await job.delivered.known(pushed)).size, 5_000);
      assert.equal((await job.delivered.known([])).size, 0);
      assert.equal((await store.forJob("other").delivered.known(pushed)).size, 0);
    });

    it("keeps the path that delivered an id first, and counts by path since a time", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      const before = new Date(Date.now() - 1_000).toISOString();
      assert.deepEqual(await job.delivered.summary(before), {
        stream: 0,
        sweep: 0,
        lastPushAt: null,
      });
      await job.delivered.record(ids(1, 4), "sweep");
      await job.delivered.record(ids(3, 4), "stream");
      // A re-delivery of the same push: nothing changes.
      await job.delivered.record(ids(3, 4), "stream");
      const summary = await job.delivered.summary(before);
      assert.deepEqual({ ...summary, lastPushAt: null }, { stream: 2, sweep: 4, lastPushAt: null });
      const pushedAt = Date.parse(summary.lastPushAt ?? "");
      assert.ok(Math.abs(pushedAt - Date.now()) < 60_000, `lastPushAt ${summary.lastPushAt}`);
      assert.match(summary.lastPushAt ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const later = new Date(Date.now() + 60_000).toISOString();
      assert.deepEqual(await job.delivered.summary(later), {
        stream: 0,
        sweep: 0,
        lastPushAt: summary.lastPushAt,
      });
      assert.deepEqual(await store.forJob("other").delivered.summary(before), {
        stream: 0,
        sweep: 0,
        lastPushAt: null,
      });
    });

    it("stores a push's ids and its dead letters together, or neither", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      await job.delivered.record(ids(1, 3), "stream", {
        rejections: [rejection(id(4))],
        sink: "Logstash http://logstash:8080",
      });
      assert.equal((await job.delivered.known(ids(1, 4))).size, 3, "a refused id is not delivered");
      const [letter] = await job.deadLetters.list({ state: "pending", limit: 10 });
      assert.deepEqual(
        [letter?.logId, letter?.runId, letter?.sink],
        [id(4), null, "Logstash http://logstash:8080"],
      );

      // A letter that cannot be stored (a document JSON cannot write) takes the ids down with it.
      const unwritable = { log_id: id(9), n: 1n } as unknown as Record<string, unknown>;
      await assert.rejects(
        job.delivered.record(ids(5, 3), "stream", {
          rejections: [rejection(id(9), unwritable)],
          sink: "s",
        }),
        (error: unknown) => error instanceof StoreError && /could not be written/.test(`${error}`),
      );
      assert.equal((await job.delivered.known(ids(5, 3))).size, 0);
      assert.deepEqual(await job.deadLetters.count(), { pending: 1, resolved: 0 });
    });

    it("records a commit's delivered ids (path sweep) in the commit, and none of a refused commit", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      await job.checkpoints.set(id(0), { kind: "initial", lookbackMs: 1 });
      const run = await job.runs.start("schedule", id(0), null);
      await job.checkpoints.commit(run, id(0), step(id(10), ids(1, 7)), null);
      assert.equal((await job.delivered.known(ids(1, 10))).size, 7);
      const since = new Date(Date.now() - 60_000).toISOString();
      assert.deepEqual((await job.delivered.summary(since)).sweep, 7);
      assert.equal((await job.runs.get(run))?.streamed, 3, "the run counts what it left out");

      // Expected checkpoint no longer the stored one: nothing of the step is kept.
      await assert.rejects(job.checkpoints.commit(run, id(0), step(id(20), ids(11, 7)), null));
      assert.equal((await job.delivered.known(ids(11, 7))).size, 0);
      // A commit without a stream records nothing.
      await job.checkpoints.commit(run, id(10), step(id(20)), null);
      assert.equal((await job.delivered.known(ids(11, 10))).size, 0);
      assert.equal((await job.runs.get(run))?.streamed, 6);
    });

    it("forgets the ids lower than a log id, and only this tenant's", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      await job.delivered.record(ids(1, 10), "stream");
      await store.forJob("other").delivered.record(ids(1, 10), "stream");
      assert.equal(await job.delivered.prune(id(6)), 5);
      assert.equal(await job.delivered.prune(id(6)), 0);
      assert.deepEqual([...(await job.delivered.known(ids(1, 10)))].sort(), ids(6, 5));
      assert.equal((await store.forJob("other").delivered.known(ids(1, 10))).size, 10);
    });
  });
}
