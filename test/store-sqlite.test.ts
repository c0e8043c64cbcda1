import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CheckpointMovedError, StoreError } from "../src/errors.ts";
import type { CommitStep } from "../src/interfaces.ts";
import { SqliteStore } from "../src/store/sqlite/store.ts";

const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;
const tempPath = () => join(mkdtempSync(join(tmpdir(), "a2l-store-")), "nested", "state.sqlite");

/** What one acknowledged page commits. */
function step(checkpoint: string, read: number, sent: number, filtered: number): CommitStep {
  return {
    checkpoint,
    counts: { read, sent, filtered, rejected: 0, batches: 1 },
    deadLetters: [],
    sink: "test sink",
  };
}

describe("SQLite store", () => {
  it("creates its folder and starts with no checkpoint", async () => {
    const store = new SqliteStore(tempPath());
    assert.deepEqual(await store.getCheckpoint(), {
      checkpoint: null,
      startFromApplied: null,
      updatedAt: null,
    });
    await store.close();
  });

  it("commits the checkpoint and the run's counts together, and keeps them across reopen", async () => {
    const path = tempPath();
    let store = new SqliteStore(path);
    await store.setCheckpoint(id(1), { kind: "initial", lookbackMs: 1 });
    const run = await store.startRun("manual", id(1));
    await store.commit(run, id(1), step(id(5), 4, 3, 1), null);
    await store.commit(run, id(5), step(id(9), 4, 4, 0), null);
    await store.finishRun(run, { outcome: "success", retries: 2, warnings: ["w"], error: null });
    await store.close();
    store = new SqliteStore(path);
    assert.equal((await store.getCheckpoint()).checkpoint, id(9));
    const record = await store.getRun(run);
    assert.ok(record);
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
        rejected: 0,
        batches: 2,
        retries: 2,
        firstCheckpoint: id(1),
        lastCheckpoint: id(9),
        warnings: ["w"],
        error: null,
      },
    );
    await store.close();
  });

  it("refuses a commit that would move the checkpoint backwards, changing nothing", async () => {
    const store = new SqliteStore(tempPath());
    await store.setCheckpoint(id(5), { kind: "replay" });
    const run = await store.startRun("manual", id(5));
    await assert.rejects(store.commit(run, id(5), step(id(4), 1, 1, 0), null), StoreError);
    assert.equal((await store.getCheckpoint()).checkpoint, id(5));
    assert.equal((await store.getRun(run))?.sent, 0);
    await store.close();
  });

  it("refuses to overwrite a checkpoint that a replay moved meanwhile", async () => {
    const store = new SqliteStore(tempPath());
    await store.setCheckpoint(id(5), { kind: "initial", lookbackMs: 1 });
    const run = await store.startRun("schedule", id(5));
    await store.setCheckpoint(id(2), { kind: "replay" });
    await assert.rejects(
      store.commit(run, id(5), step(id(8), 3, 3, 0), null),
      CheckpointMovedError,
    );
    assert.equal((await store.getCheckpoint()).checkpoint, id(2));
    await store.close();
  });

  it("keeps job values and prunes old finished runs", async () => {
    const store = new SqliteStore(tempPath());
    assert.equal(await store.getJob("enabled"), null);
    await store.setJob("enabled", "false");
    assert.equal(await store.getJob("enabled"), "false");
    await store.recordRun({
      trigger: "replay",
      startedAt: "2020-01-01T00:00:00.000Z",
      endedAt: "2020-01-01T00:00:00.000Z",
      outcome: "success",
      read: 0,
      sent: 0,
      filtered: 0,
      rejected: 0,
      batches: 0,
      retries: 0,
      firstCheckpoint: id(9),
      lastCheckpoint: id(1),
      warnings: [],
      error: null,
    });
    await store.startRun("manual", null);
    assert.equal(await store.pruneRuns("2021-01-01T00:00:00.000Z"), 1);
    assert.equal((await store.listRuns(10)).length, 1);
    await store.close();
  });

  it("keeps dead letters with the commit that moves past them, and only deletes them when asked", async () => {
    const store = new SqliteStore(tempPath());
    await store.setCheckpoint(id(1), { kind: "initial", lookbackMs: 1 });
    const run = await store.startRun("manual", id(1));
    const refused = {
      id: id(3),
      status: 400,
      reason: "document_parsing_exception: x",
      document: { a: 1 },
    };
    const counts = { read: 4, sent: 3, filtered: 0, rejected: 1, batches: 1 };
    await store.commit(
      run,
      id(1),
      { ...step(id(5), 4, 3, 0), counts, deadLetters: [refused] },
      null,
    );
    assert.equal((await store.getRun(run))?.rejected, 1);
    const [letter] = await store.listDeadLetters({ state: "pending", limit: 10 });
    assert.equal(letter?.logId, id(3));
    assert.deepEqual(letter?.document, { a: 1 });
    assert.equal(letter?.sink, "test sink");
    await store.retriedDeadLetters([
      { id: letter?.id as number, rejection: { ...refused, reason: "again" } },
    ]);
    assert.equal((await store.getDeadLetters([letter?.id as number]))[0]?.attempts, 2);
    assert.deepEqual(await store.countDeadLetters(), { pending: 1, resolved: 0 });
    await store.retriedDeadLetters([{ id: letter?.id as number, rejection: null }]);
    assert.deepEqual(await store.countDeadLetters(), { pending: 0, resolved: 1 });
    assert.equal(await store.deleteDeadLetters("resolved"), 1);
    assert.deepEqual(await store.countDeadLetters(), { pending: 0, resolved: 0 });
    await store.close();
  });

  it("remembers which START_FROM was applied", async () => {
    const store = new SqliteStore(tempPath());
    await store.setCheckpoint(id(3), { kind: "start-from", startFrom: id(3) });
    assert.equal((await store.getCheckpoint()).startFromApplied, id(3));
    await store.close();
  });

  it("caches tokens by key", async () => {
    const store = new SqliteStore(tempPath());
    assert.equal(await store.getToken("k"), null);
    await store.putToken("k", { accessToken: "t1", expiresAt: 5 });
    await store.putToken("k", { accessToken: "t2", expiresAt: 6 });
    assert.deepEqual(await store.getToken("k"), { accessToken: "t2", expiresAt: 6 });
    await store.close();
  });

  it("lists runs newest first", async () => {
    const store = new SqliteStore(tempPath());
    const a = await store.startRun("manual", null);
    const b = await store.startRun("schedule", null);
    assert.deepEqual(
      (await store.listRuns(10)).map((r) => r.id),
      [b, a],
    );
    await store.close();
  });

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
});
