// The store's contract on fencing, run against SQLite and PostgreSQL: every write of an exporting
// process (commits, and the moves of START_FROM and the first look-back) passes its lease in the
// same transaction; every run records the lease epochs its commits were made under; and a commit that
// lost its compare-and-set says whether a replay or something else moved the checkpoint.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CheckpointConflictError, CheckpointMovedError, LeaseLostError } from "../src/errors.ts";
import type { CommitStep, Fence, JobStore, LeaseHolder } from "../src/interfaces.ts";
import { quietExecution } from "./helpers/execution.ts";
import { STORE_DRIVERS } from "./helpers/stores.ts";

const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;

function step(checkpoint: string): CommitStep {
  return {
    checkpoint,
    counts: { read: 1, sent: 1, filtered: 0, streamed: 0, rejected: 0, batches: 1 },
    deadLetters: [],
    sink: "test sink",
  };
}

const holder = (name: string): LeaseHolder => ({
  id: `${name}:999999`,
  host: "elsewhere",
  pid: 999_999,
  command: "run",
  startedAt: new Date().toISOString(),
});

/** Holder a claims the job (epoch 1), then b takes it over (epoch 2): a's fence is stale. */
async function takenOver(job: JobStore): Promise<{ stale: Fence; current: Fence }> {
  const [a, b] = [holder("a"), holder("b")];
  assert.deepEqual(await job.leases.claim(a, 60_000, () => false), { held: true, epoch: 1 });
  assert.deepEqual(await job.leases.claim(b, 60_000, () => true), { held: true, epoch: 2 });
  return { stale: { holder: a.id, epoch: 1 }, current: { holder: b.id, epoch: 2 } };
}

for (const driver of STORE_DRIVERS) {
  describe(`store fencing: ${driver.name}`, () => {
    it("records the lease's epoch the store had at each commit, on the run, and who moved the checkpoint otherwise", async (t) => {
      const job = (await driver.open(t)).forJob("default");
      const { current } = await takenOver(job);
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 }, current);
      const run = await job.runs.start("schedule", id(1), current);
      assert.equal((await job.runs.get(run))?.committedEpochs, null, "nothing committed yet");
      await job.checkpoints.commit(run, id(1), step(id(2)), current);
      await job.checkpoints.commit(run, id(2), step(id(3)), current);
      const recorded = await job.runs.get(run);
      assert.equal(recorded?.holder, current.holder);
      assert.equal(recorded?.epoch, 2);
      assert.deepEqual(recorded?.committedEpochs, { low: 2, high: 2 });
      assert.equal(recorded?.batches, 2);
      // Commits add no row: the moves are the checkpoint's other moves, with their holder.
      assert.deepEqual(
        (await job.checkpoints.moves(10)).map((m) => [m.reason, m.from, m.to, m.holder, m.epoch]),
        [["initial", null, id(1), current.holder, 2]],
      );
      assert.equal((await job.checkpoints.lastMove())?.reason, "initial");
    });

    it("shows a commit that slipped past the fence as a run whose commits reach a later epoch", async (t) => {
      const job = (await driver.open(t)).forJob("default");
      const { stale } = await takenOver(job);
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 });
      // The stale holder's run, started before the takeover, commits without its fence (as a
      // broken fence would let it): the record says the store's epoch, not the holder's belief.
      const run = await job.runs.start("schedule", id(1), null);
      await job.checkpoints.commit(run, id(1), step(id(2)), null);
      assert.deepEqual((await job.runs.get(run))?.committedEpochs, { low: 2, high: 2 });
      assert.notEqual(stale.epoch, 2);
    });

    it("refuses a stale holder's commit, and keeps no trace of it", async (t) => {
      const job = (await driver.open(t)).forJob("default");
      const { stale, current } = await takenOver(job);
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 }, current);
      const run = await job.runs.start("schedule", id(1), current);
      await assert.rejects(job.checkpoints.commit(run, id(1), step(id(2)), stale), LeaseLostError);
      assert.equal((await job.checkpoints.get()).checkpoint, id(1));
      const recorded = await job.runs.get(run);
      assert.equal(recorded?.batches, 0);
      assert.equal(recorded?.committedEpochs, null);
      const moves = await job.checkpoints.moves(10);
      assert.deepEqual(
        moves.map((m) => m.reason),
        ["initial"],
      );
      assert.ok(moves.every((m) => m.holder !== stale.holder));
    });

    it("refuses a stale holder's START_FROM and first look-back, moving nothing", async (t) => {
      const job = (await driver.open(t)).forJob("default");
      const { stale } = await takenOver(job);
      await assert.rejects(
        job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 }, stale),
        LeaseLostError,
      );
      assert.equal((await job.checkpoints.get()).checkpoint, null);
      await job.checkpoints.set(id(5), { kind: "replay" }); // a person's replay: no lease needed
      await assert.rejects(
        job.checkpoints.set(id(2), { kind: "start-from", startFrom: id(2) }, stale),
        LeaseLostError,
      );
      const state = await job.checkpoints.get();
      assert.equal(state.checkpoint, id(5));
      assert.equal(state.startFromApplied, null);
      assert.deepEqual(
        (await job.checkpoints.moves(10)).map((m) => [m.reason, m.holder]),
        [["replay", null]],
      );
    });

    it("an execution that lost its lease moves no checkpoint: neither START_FROM nor the look-back", async (t) => {
      const store = await driver.open(t);
      const [replayed, fresh] = [store.forJob("replayed"), store.forJob("fresh")];
      const a = await takenOver(replayed);
      await replayed.checkpoints.set(id(7), { kind: "replay" });
      await assert.rejects(execution(replayed, a.stale, id(3)), LeaseLostError);
      const state = await replayed.checkpoints.get();
      assert.equal(state.checkpoint, id(7), "the new holder's checkpoint stands");
      assert.equal(state.startFromApplied, null);
      const b = await takenOver(fresh);
      await assert.rejects(execution(fresh, b.stale, undefined), LeaseLostError);
      assert.equal((await fresh.checkpoints.get()).checkpoint, null, "no look-back stored");
    });

    it("closes the runs a holder left running when another takes the job over", async (t) => {
      const store = await driver.open(t);
      const [job, other] = [store.forJob("default"), store.forJob("other")];
      const killed: LeaseHolder = { ...holder("a"), id: "host-a/4026531836/boot-a:4242:abc" };
      assert.deepEqual(await job.leases.claim(killed, 60_000, () => false), {
        held: true,
        epoch: 1,
      });
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 });
      const left = await job.runs.start("schedule", id(1), { holder: killed.id, epoch: 1 });
      const elsewhere = await other.runs.start("manual", id(1), null);
      const next = holder("b");
      assert.equal((await job.leases.claim(next, 60_000, () => true)).held, true);
      const run = await job.runs.get(left);
      assert.equal(run?.outcome, "interrupted");
      assert.ok(run?.endedAt, "it has an end");
      assert.match(run?.error ?? "", /process holding the tenant \(pid 4242 on host-a\) stopped/);
      assert.equal((await other.runs.get(elsewhere))?.outcome, "running", "another job's run");
      // The new holder's own executions are its own to finish.
      const mine = await job.runs.start("schedule", id(1), { holder: next.id, epoch: 2 });
      assert.equal((await job.runs.get(mine))?.outcome, "running");
      assert.deepEqual(
        (await job.runs.list({ limit: 10, outcome: "interrupted" })).map((r) => r.id),
        [left],
      );
      // A closed run is finished history: pruned with the rest.
      assert.equal(await job.runs.prune(new Date(Date.now() + 60_000).toISOString()), 1);
    });

    it("tells a replay and a new START_FROM apart from another execution's commit", async (t) => {
      const job = (await driver.open(t)).forJob("default");
      const { current } = await takenOver(job);
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 }, current);
      const first = await job.runs.start("schedule", id(1), current);
      const second = await job.runs.start("manual", id(1), current);
      await job.checkpoints.commit(second, id(1), step(id(4)), current);
      await assert.rejects(job.checkpoints.commit(first, id(1), step(id(2)), current), (error) => {
        assert.ok(error instanceof CheckpointConflictError, String(error));
        assert.doesNotMatch(error.message, /moved by a replay/);
        assert.match(error.message, new RegExp(`commit of run ${second} under lease epoch 2`));
        return true;
      });
      await job.checkpoints.set(id(9), { kind: "start-from", startFrom: id(9) }, current);
      await assert.rejects(job.checkpoints.commit(second, id(4), step(id(5)), current), (error) => {
        assert.ok(error instanceof CheckpointMovedError);
        assert.match(error.message, /a new START_FROM/);
        return true;
      });
      await job.checkpoints.set(id(2), { kind: "replay" });
      await assert.rejects(
        job.checkpoints.commit(second, id(9), step(id(10)), current),
        (error) => {
          assert.ok(error instanceof CheckpointMovedError);
          assert.match(error.message, /a replay/);
          return true;
        },
      );
    });
  });
}

/** An execution under `fence` that would read nothing: it only resolves its checkpoint. */
function execution(job: JobStore, fence: Fence, startFrom: string | undefined) {
  return quietExecution({
    settings: {
      startFrom,
      initialLookbackMs: 60_000,
      auth0LogRetentionMs: 86_400_000,
      staleAfterMs: 86_400_000,
    },
    store: job,
    source: {
      firstRead: () => "page",
      read: async () => ({ events: [], next: null, caughtUp: true }),
      authenticate: async () => {},
      close: async () => {},
    },
    sink: {
      info: { kind: "logstash", target: "memory" },
      send: async () => ({ delivered: 0, rejected: [] }),
      check: async () => undefined,
      close: async () => {},
    },
    trigger: "schedule",
    fence,
  });
}
