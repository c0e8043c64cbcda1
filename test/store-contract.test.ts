// The store's contract, run against every driver: SQLite always, PostgreSQL on the machine's
// server (each run in a schema of its own; a test fails, never skips, when no server answers). Each
// port is scoped to a job, and one job's records never show in another's.

import assert from "node:assert/strict";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { CheckpointMovedError, LeaseLostError, StoreError } from "../src/errors.ts";
import type { CommitStep, LeaseHolder } from "../src/interfaces.ts";
import { SqliteStore } from "../src/store/sqlite/store.ts";
import { STORE_DRIVERS } from "./helpers/stores.ts";

const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;

/** What one acknowledged page commits. */
function step(checkpoint: string, counts: Partial<CommitStep["counts"]> = {}): CommitStep {
  return {
    checkpoint,
    counts: { read: 0, sent: 0, filtered: 0, streamed: 0, rejected: 0, batches: 1, ...counts },
    deadLetters: [],
    sink: "test sink",
  };
}

const holder = (name: string, pid = 999_999): LeaseHolder => ({
  id: `${name}:${pid}`,
  host: "elsewhere",
  pid,
  command: "run",
  startedAt: new Date().toISOString(),
});

for (const driver of STORE_DRIVERS) {
  describe(`store contract: ${driver.name}`, () => {
    const open = (t: TestContext) => driver.open(t);

    it("commits the checkpoint and the run's counts together, and keeps them", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 });
      const run = await job.runs.start("manual", id(1), null);
      await job.checkpoints.commit(
        run,
        id(1),
        step(id(5), { read: 4, sent: 3, filtered: 1 }),
        null,
      );
      await job.checkpoints.commit(run, id(5), step(id(9), { read: 4, sent: 4 }), null);
      await job.runs.finish(run, { outcome: "success", retries: 2, warnings: ["w"], error: null });
      assert.equal((await job.checkpoints.get()).checkpoint, id(9));
      const record = await job.runs.get(run);
      assert.deepEqual(
        { ...record, startedAt: "", endedAt: "" },
        {
          id: run,
          trigger: "manual",
          startedAt: "",
          endedAt: "",
          outcome: "success",
          read: 8,
          sent: 7,
          filtered: 1,
          streamed: 0,
          rejected: 0,
          batches: 2,
          retries: 2,
          firstCheckpoint: id(1),
          lastCheckpoint: id(9),
          warnings: ["w"],
          error: null,
          // No lease covered this run (store-fencing.test.ts has the runs under one).
          holder: null,
          epoch: null,
          committedEpochs: null,
        },
      );
      assert.match(record?.startedAt ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it("keeps each job's records apart", async (t) => {
      const store = await open(t);
      const [a, b] = [store.forJob("prod-eu"), store.forJob("staging")];
      await a.checkpoints.set(id(3), { kind: "replay" });
      await a.state.set("enabled", "false");
      await a.runs.start("manual", id(3), null);
      assert.equal((await b.checkpoints.get()).checkpoint, null);
      assert.equal(await b.state.get("enabled"), null);
      assert.deepEqual(await b.runs.list({ limit: 10 }), []);
      assert.equal((await a.runs.list({ limit: 10 })).length, 1);
    });

    it("serves many jobs writing at the same instant, each transaction whole", async (t) => {
      const store = await open(t);
      const jobs = Array.from({ length: 20 }, (_, i) => store.forJob(`tenant-${i}`));
      const claimer = holder("all");
      const leases = await Promise.all(
        jobs.map((job) => job.leases.claim(claimer, 60_000, () => false)),
      );
      assert.ok(leases.every((lease) => lease.held));
      await Promise.all(jobs.map((job) => job.checkpoints.set(id(1), { kind: "replay" })));
      const runs = await Promise.all(jobs.map((job) => job.runs.start("manual", id(1), null)));
      await Promise.all(
        jobs.map((job, i) =>
          job.checkpoints.commit(runs[i] as number, id(1), step(id(2 + i), { read: 1, sent: 1 }), {
            holder: claimer.id,
            epoch: 1,
          }),
        ),
      );
      const checkpoints = await Promise.all(jobs.map((job) => job.checkpoints.get()));
      assert.deepEqual(
        checkpoints.map((c) => c.checkpoint),
        jobs.map((_, i) => id(2 + i)),
      );
    });

    it("refuses a commit that would move the checkpoint backwards, changing nothing", async (t) => {
      const job = (await open(t)).forJob("default");
      await job.checkpoints.set(id(5), { kind: "replay" });
      const run = await job.runs.start("manual", id(5), null);
      await assert.rejects(job.checkpoints.commit(run, id(5), step(id(4)), null), StoreError);
      assert.equal((await job.checkpoints.get()).checkpoint, id(5));
    });

    it("refuses to overwrite a checkpoint that a replay moved meanwhile, and says it was a replay", async (t) => {
      const job = (await open(t)).forJob("default");
      await job.checkpoints.set(id(5), { kind: "initial", lookbackMs: 1 });
      const run = await job.runs.start("schedule", id(5), null);
      await job.checkpoints.set(id(2), { kind: "replay" });
      await assert.rejects(job.checkpoints.commit(run, id(5), step(id(8)), null), (error) => {
        assert.ok(error instanceof CheckpointMovedError);
        assert.match(error.message, /a replay/);
        return true;
      });
      assert.equal((await job.checkpoints.get()).checkpoint, id(2));
      assert.equal((await job.checkpoints.lastMove())?.reason, "replay");
    });

    it("remembers which START_FROM was applied", async (t) => {
      const job = (await open(t)).forJob("default");
      await job.checkpoints.set(id(3), { kind: "start-from", startFrom: id(3) });
      await job.checkpoints.set(id(2), { kind: "replay" });
      assert.equal((await job.checkpoints.get()).startFromApplied, id(3));
    });

    it("moves the checkpoint forward by replay only with skip (past events not sent yet), and says from where", async (t) => {
      const job = (await open(t)).forJob("default");
      const replay = (to: string, skip?: boolean) =>
        job.checkpoints.set(to, { kind: "replay", ...(skip === undefined ? {} : { skip }) });
      assert.deepEqual(
        await replay(id(5)),
        { moved: true, from: null },
        "a first one skips nothing",
      );
      assert.deepEqual(await replay(id(8)), { moved: false, from: id(5) });
      assert.deepEqual(await replay(id(8), false), { moved: false, from: id(5) });
      assert.equal((await job.checkpoints.get()).checkpoint, id(5), "nothing moved");
      assert.equal((await job.checkpoints.moves(10)).length, 1, "nor recorded");
      assert.deepEqual(await replay(id(3)), { moved: true, from: id(5) }, "back: no skip");
      assert.deepEqual(await replay(id(3)), { moved: true, from: id(3) }, "in place: no skip");
      assert.deepEqual(await replay(id(8), true), { moved: true, from: id(3) });
      assert.equal((await job.checkpoints.get()).checkpoint, id(8));
      assert.deepEqual(
        (await job.checkpoints.moves(10)).map((move) => [move.reason, move.from, move.to]),
        [
          ["replay", id(3), id(8)],
          ["replay", id(3), id(3)],
          ["replay", id(5), id(3)],
          ["replay", null, id(5)],
        ],
      );
    });

    it("gives a lease to one holder at a time, fences commits by its epoch, and lets a lapsed one be taken", async (t) => {
      const job = (await open(t)).forJob("default");
      const [a, b] = [holder("a"), holder("b")];
      const never = () => false;
      const first = await job.leases.claim(a, 60_000, never);
      assert.deepEqual(first, { held: true, epoch: 1 });
      const refused = await job.leases.claim(b, 60_000, never);
      assert.equal(refused.held, false);
      assert.equal((await job.leases.holder())?.holder.id, a.id);
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 });
      const run = await job.runs.start("manual", id(1), { holder: a.id, epoch: 1 });
      // b finds a's holder dead (isStale) and takes it over: a new epoch.
      const taken = await job.leases.claim(b, 60_000, () => true);
      assert.deepEqual(taken, { held: true, epoch: 2 });
      await assert.rejects(
        job.checkpoints.commit(run, id(1), step(id(2)), { holder: a.id, epoch: 1 }),
        LeaseLostError,
      );
      // Nor may it start another execution.
      await assert.rejects(
        job.runs.start("schedule", id(1), { holder: a.id, epoch: 1 }),
        LeaseLostError,
      );
      assert.ok((await job.runs.start("schedule", id(1), { holder: b.id, epoch: 2 })) > run);
      assert.equal(await job.leases.renew({ holder: a.id, epoch: 1 }, 60_000), false);
      assert.equal(await job.leases.renew({ holder: b.id, epoch: 2 }, 60_000), true);
      await job.checkpoints.commit(run, id(1), step(id(2)), { holder: b.id, epoch: 2 });
      // Released: no holder, and the next claim starts a new epoch.
      await job.leases.release({ holder: b.id, epoch: 2 });
      assert.equal(await job.leases.holder(), null);
      assert.deepEqual(await job.leases.claim(a, 60_000, never), { held: true, epoch: 3 });
    });

    it("lets a lease lapse after its ttl", async (t) => {
      const job = (await open(t)).forJob("default");
      assert.equal((await job.leases.claim(holder("a"), 200, () => false)).held, true);
      assert.equal((await job.leases.claim(holder("b"), 200, () => false)).held, false);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.deepEqual(await job.leases.claim(holder("b"), 200, () => false), {
        held: true,
        epoch: 2,
      });
    });

    it("keeps dead letters with the commit that moves past them, and only deletes them when asked", async (t) => {
      const job = (await open(t)).forJob("default");
      await job.checkpoints.set(id(1), { kind: "initial", lookbackMs: 1 });
      const run = await job.runs.start("manual", id(1), null);
      const refused = {
        id: id(3),
        status: 400,
        reason: "document_parsing_exception: x",
        document: { a: [1, "b"] },
      };
      await job.checkpoints.commit(
        run,
        id(1),
        { ...step(id(5), { read: 4, sent: 3, rejected: 1 }), deadLetters: [refused] },
        null,
      );
      assert.equal((await job.runs.get(run))?.rejected, 1);
      const [letter] = await job.deadLetters.list({ state: "pending", limit: 10 });
      assert.equal(letter?.logId, id(3));
      assert.deepEqual(letter?.document, { a: [1, "b"] });
      assert.equal(letter?.sink, "test sink");
      const letterId = letter?.id as number;
      await job.deadLetters.retried([{ id: letterId, rejection: { ...refused, reason: "again" } }]);
      const [again] = await job.deadLetters.get([letterId]);
      assert.equal(again?.attempts, 2);
      assert.equal(again?.reason, "again");
      assert.deepEqual(await job.deadLetters.count(), { pending: 1, resolved: 0 });
      await job.deadLetters.retried([{ id: letterId, rejection: null }]);
      assert.deepEqual(await job.deadLetters.count(), { pending: 0, resolved: 1 });
      assert.equal(await job.deadLetters.delete("resolved"), 1);
      assert.deepEqual(await job.deadLetters.count(), { pending: 0, resolved: 0 });
    });

    it("stores dead letters on their own, moving no checkpoint and starting no run", async (t) => {
      const store = await open(t);
      const job = store.forJob("pushed");
      const refusal = (n: number, reason: string) => ({
        id: id(n),
        status: 400,
        reason,
        document: { log_id: id(n), n },
      });
      await job.deadLetters.add([], { sink: "intake sink" });
      await job.deadLetters.add([refusal(1, "mapper_parsing_exception: a"), refusal(2, "b")], {
        sink: "intake sink",
      });
      const letters = await job.deadLetters.list({ state: "pending", limit: 10 });
      assert.deepEqual(
        letters.map((l) => [l.logId, l.runId, l.sink, l.status, l.reason, l.attempts]),
        [
          [id(1), null, "intake sink", 400, "mapper_parsing_exception: a", 1],
          [id(2), null, "intake sink", 400, "b", 1],
        ],
      );
      assert.deepEqual(letters[1]?.document, { log_id: id(2), n: 2 });
      assert.equal((await job.checkpoints.get()).checkpoint, null);
      assert.deepEqual(await job.runs.list({ limit: 10 }), []);
      assert.deepEqual(await store.forJob("other").deadLetters.count(), {
        pending: 0,
        resolved: 0,
      });
      // Refused again, once resolved: the same letter, with the new reason, pending again.
      await job.deadLetters.retried([{ id: letters[0]?.id as number, rejection: null }]);
      await job.deadLetters.add([refusal(1, "again")], { sink: "intake sink", runId: null });
      const [again] = await job.deadLetters.list({ state: "pending", limit: 1 });
      assert.equal(again?.id, letters[0]?.id);
      assert.equal(again?.reason, "again");
      assert.equal(again?.attempts, 3);
      assert.deepEqual(await job.deadLetters.count(), { pending: 2, resolved: 0 });
    });

    it("lists runs newest first, by outcome and since a time, and sums events per hour", async (t) => {
      const job = (await open(t)).forJob("default");
      const at = (hour: number) => `2026-11-24T${String(hour).padStart(2, "0")}:10:00.000Z`;
      const base = {
        retries: 0,
        firstCheckpoint: null,
        lastCheckpoint: null,
        warnings: [],
        error: null,
      };
      const counts = { read: 0, filtered: 0, streamed: 0, rejected: 0, batches: 1 };
      await job.runs.record({
        ...base,
        ...counts,
        trigger: "schedule",
        startedAt: at(8),
        endedAt: at(8),
        outcome: "success",
        sent: 5,
      });
      await job.runs.record({
        ...base,
        ...counts,
        trigger: "schedule",
        startedAt: at(9),
        endedAt: at(9),
        outcome: "failed",
        sent: 0,
      });
      await job.runs.record({
        ...base,
        ...counts,
        trigger: "manual",
        startedAt: at(9),
        endedAt: at(9),
        outcome: "success",
        sent: 7,
      });
      const all = await job.runs.list({ limit: 10 });
      assert.deepEqual(
        all.map((r) => r.sent),
        [7, 0, 5],
      );
      assert.equal((await job.runs.list({ limit: 10, outcome: "failed" })).length, 1);
      assert.equal((await job.runs.list({ limit: 10, since: at(9) })).length, 2);
      assert.equal((await job.runs.list({ limit: -1 })).length, 0, "a negative limit lists none");
      const hours = await job.runs.sentPerHour("2026-11-24T00:00:00.000Z");
      assert.equal(hours.length, 24);
      assert.equal(hours[8], 5);
      assert.equal(hours[9], 7);
      assert.equal(await job.runs.prune(at(9)), 1);
    });

    it("caches tokens by key, and keeps job and process values", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      assert.equal(await job.tokens.get("k"), null);
      await job.tokens.put("k", { accessToken: "t1", expiresAt: 5, credentials: "scrypt1$a$b" });
      const latest = {
        accessToken: "t2",
        expiresAt: 1_800_000_000_000,
        credentials: "scrypt1$c$d",
      };
      await job.tokens.put("k", latest);
      assert.deepEqual(await job.tokens.get("k"), latest);
      await job.state.set("schedule", "5m");
      await job.state.delete("schedule");
      assert.equal(await job.state.get("schedule"), null);
      await store.process.setIfAbsent("hash", "first");
      await store.process.setIfAbsent("hash", "second");
      assert.equal(await store.process.get("hash"), "first");
    });

    it("refuses a token expiry the column cannot hold as a wrong value, not a full disk", async (t) => {
      const store = await open(t);
      const job = store.forJob("default");
      for (const expiresAt of [1e300, 1_800_000_000_000.5, Number.NaN, -1]) {
        const token = { accessToken: "t", expiresAt, credentials: "" };
        await assert.rejects(job.tokens.put("k", token), (error: Error) => {
          assert.ok(error instanceof StoreError, String(error));
          assert.match(error.message, /not a time in whole milliseconds/);
          assert.doesNotMatch(error.message, /disk|read-only/);
          return true;
        });
      }
      assert.equal(await job.tokens.get("k"), null);
    });

    it("blames the disk only for failures of the disk or the connection, not for a refused value", async (t) => {
      const store = await open(t);
      // A NOT NULL column given null: the driver's own constraint error, on either database.
      const session = { user: null, csrf: "c", expiresAt: 1 } as never;
      await assert.rejects(store.process.putSession("h", session), (error: Error) => {
        assert.ok(error instanceof StoreError, String(error));
        assert.match(error.message, /could not be written: .*null/i);
        assert.doesNotMatch(error.message, /disk|read-only/);
        return true;
      });
    });

    it("keeps sessions by hash, and the live replicas", async (t) => {
      const store = await open(t);
      const session = { user: "admin", csrf: "c", expiresAt: Date.now() + 60_000 };
      await store.process.putSession("h1", session);
      assert.deepEqual(await store.process.getSession("h1"), session);
      await store.process.deleteSession("h1");
      assert.equal(await store.process.getSession("h1"), null);
      await store.replicas.heartbeat(holder("r1"), 60_000);
      await store.replicas.heartbeat(holder("r2"), 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(
        (await store.replicas.live()).map((r) => r.id),
        [holder("r1").id],
      );
      // Heard from within the last 2 s? r1's heartbeat (ttl 60 s) is younger than that.
      const recent = { heardWithinMs: 2_000, ttlMs: 60_000 };
      assert.equal((await store.replicas.live(recent)).length, 1);
      assert.deepEqual(await store.replicas.live({ heardWithinMs: 2_000, ttlMs: 120_000 }), []);
      await store.replicas.leave(holder("r1"));
      assert.deepEqual(await store.replicas.live(), []);
    });

    it("lists the jobs held by live leases, and gives a holder claiming again a new epoch", async (t) => {
      const store = await open(t);
      const [a, b] = [holder("a"), holder("b")];
      await store.forJob("one").leases.claim(a, 60_000, () => false);
      await store.forJob("two").leases.claim(b, 60_000, () => false);
      await store.forJob("three").leases.claim(b, 1, () => false);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const held = await store.replicas.leases();
      assert.deepEqual([...held].map(([job, who]) => [job, who.id]).sort(), [
        ["one", a.id],
        ["two", b.id],
      ]);
      // A holder that lost its lease and claims it back must not share an epoch with its past.
      assert.deepEqual(await store.forJob("one").leases.claim(a, 60_000, () => false), {
        held: true,
        epoch: 2,
      });
    });
  });
}

describe("store: SQLite file", () => {
  it("reports a store that cannot be opened with its path", () => {
    const file = join(mkdtempSync(join(tmpdir(), "a2l-store-")), "a-file");
    writeFileSync(file, "");
    assert.throws(
      () => new SqliteStore(join(file, "state.sqlite")),
      (error: StoreError) => {
        assert.match(error.message, /a-file\/state\.sqlite could not be opened/);
        return true;
      },
    );
  });

  it("refuses a folder that cannot be made, at once, where Node's recursive mkdir would spin", () => {
    // mkdir under /proc answers ENOENT although /proc exists: mkdirSync({ recursive }) loops.
    assert.throws(
      () => new SqliteStore("/proc/a2l-no-such-folder/deeper/state.sqlite"),
      (error: StoreError) => {
        assert.match(error.message, /could not be opened: ENOENT/);
        return true;
      },
    );
  });

  it("creates missing folders owner-only", async () => {
    const root = mkdtempSync(join(tmpdir(), "a2l-store-"));
    const store = new SqliteStore(join(root, "a", "b", "state.sqlite"));
    await store.close();
    assert.equal(statSync(join(root, "a")).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, "a", "b")).mode & 0o777, 0o700);
  });

  it("carries a single-tenant store of the previous version over as tenant default", async () => {
    const { DatabaseSync } = await import("node:sqlite");
    const path = join(mkdtempSync(join(tmpdir(), "a2l-store-")), "old.sqlite");
    const old = new DatabaseSync(path);
    // The schema of the previous version (migrations 1 to 4) with its single tenant's records.
    const { readdirSync, readFileSync } = await import("node:fs");
    const folder = new URL("../src/store/sqlite/migrations/", import.meta.url);
    const files = readdirSync(folder).sort().slice(0, 4);
    for (const file of files) old.exec(readFileSync(new URL(file, folder), "utf8"));
    old.exec(`PRAGMA user_version = 4;
      UPDATE checkpoint SET log_id = '${id(7)}', start_from_applied = '${id(2)}' WHERE id = 1;
      INSERT INTO job (key, value, updated_at) VALUES ('enabled', 'false', 'x'), ('dashboard_password_hash', 'scrypt:h', 'x');
      INSERT INTO runs (trigger, started_at, outcome, sent) VALUES ('manual', '2026-11-24T00:00:00.000Z', 'success', 3);`);
    old.close();
    const store = new SqliteStore(path);
    const job = store.forJob("default");
    assert.equal((await job.checkpoints.get()).checkpoint, id(7));
    assert.equal((await job.checkpoints.get()).startFromApplied, id(2));
    assert.equal(await job.state.get("enabled"), "false");
    assert.equal(await job.state.get("dashboard_password_hash"), null);
    assert.equal(await store.process.get("dashboard_password_hash"), "scrypt:h");
    assert.equal((await job.runs.list({ limit: 5 }))[0]?.sent, 3);
    await store.close();
  });
});
