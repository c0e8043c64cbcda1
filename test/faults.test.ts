// Whatever fails, nothing is lost: each kind of fault on each side is survived, and a crash
// between a send and its commit re-sends the batch instead of skipping it.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LogstashFault } from "../simulator/logstash.ts";
import type { TenantFault } from "../simulator/tenant.ts";
import { SqliteStore } from "../src/store/sqlite/store.ts";
import { spawnCli } from "./helpers/cli.ts";
import { world } from "./helpers/world.ts";

const fast = { RETRY_MAX_TIME: "30s", REQUEST_TIMEOUT: "1s" };

describe("Auth0 faults are retried and nothing is lost", () => {
  const kinds: TenantFault[] = [
    "500-html",
    "502-html",
    "503",
    "reset",
    "truncated",
    "slow",
    "non-json",
    "expired-token",
  ];
  for (const kind of kinds) {
    it(`survives ${kind}`, async (t) => {
      const w = await world(t, { tenant: { backlog: 400, slowMs: 1500 }, env: fast });
      w.tenant.failNext(kind, kind === "expired-token" ? 1 : 2);
      const result = await w.once();
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(w.missing(), []);
      assert.deepEqual(w.duplicates(), []);
    });
  }

  it("survives token endpoint failures and its 429", async (t) => {
    const w = await world(t, { tenant: { backlog: 100 }, env: fast });
    w.tenant.failNext("503", 1, "token");
    w.tenant.failNext("429", 1, "token");
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
  });
});

describe("Logstash faults are retried and nothing is lost", () => {
  const kinds: LogstashFault[] = ["429", "500", "503", "reset-before", "slow"];
  for (const kind of kinds) {
    it(`survives ${kind}`, async (t) => {
      const w = await world(t, { tenant: { backlog: 400 }, logstash: { slowMs: 1500 }, env: fast });
      w.logstash.failNext(kind, 2);
      const result = await w.once();
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(w.missing(), []);
      // A request that timed out may still have been indexed: it is re-sent, never dropped.
      assert.ok(w.duplicates().length <= (kind === "slow" ? 200 : 0));
    });
  }

  it("re-sends a batch whose acknowledgement was lost (duplicates, never a gap)", async (t) => {
    const w = await world(t, { tenant: { backlog: 400 }, env: fast });
    w.logstash.failNext("reset-after", 1);
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
    assert.equal(w.duplicates().length, 100);
  });

  it("stops at a 401 without moving the checkpoint past what was acknowledged", async (t) => {
    const w = await world(t, { tenant: { backlog: 400 }, env: fast });
    const result = await w.once();
    assert.equal(result.code, 0);
    w.tenant.addEvents(300);
    const before = (await w.stored()).checkpoint;
    w.logstash.failNext("401", 1);
    const failed = await w.once();
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /Logstash refused the request \(401\)/);
    assert.equal((await w.stored()).checkpoint, before);
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
  });
});

describe("random faults on both sides", () => {
  it("deliver a 5 000-event backlog with 5 % of requests failing on each side, losing nothing", async (t) => {
    const w = await world(t, {
      tenant: {
        backlog: 5000,
        slowMs: 1200,
        faults: {
          rate: 0.05,
          seed: 7,
          kinds: ["429", "500-html", "503", "reset", "truncated", "slow", "expired-token"],
        },
      },
      logstash: {
        slowMs: 1200,
        faults: {
          rate: 0.05,
          seed: 11,
          kinds: ["429", "500", "503", "reset-before", "reset-after", "slow"],
        },
      },
      env: fast,
    });
    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.missing(), []);
    assert.ok(w.tenant.logFaults.total > 0 && w.logstash.faults.total > 0);
    const { runs } = await w.stored();
    assert.ok((runs[0]?.retries ?? 0) > 0);
  });
});

describe("when retries run out", () => {
  it("fails with exit 1, the reason and the checkpoint, and resumes there next time", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 300 },
      env: { RETRY_MAX_TIME: "2s", REQUEST_TIMEOUT: "1s" },
    });
    w.logstash.failNext("503", 1000);
    const result = await w.once();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gave up after retrying .* Logstash answered 503/);
    const { runs, checkpoint } = await w.stored();
    assert.equal(runs[0]?.outcome, "failed");
    assert.match(runs[0]?.error ?? "", /Logstash answered 503/);
    assert.ok(result.stderr.includes(checkpoint as string));
    assert.equal(w.logstash.idCounts().size, 0);
    w.logstash.faults.clear();
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
  });
});

describe("bad answers from Auth0", () => {
  it("an object instead of an array fails the execution cleanly without committing", async (t) => {
    const w = await world(t, { tenant: { backlog: 250 }, env: fast });
    assert.equal((await w.once()).code, 0);
    w.tenant.addEvents(10);
    const before = (await w.stored()).checkpoint;
    w.tenant.failNext("wrong-shape", 1);
    const result = await w.once();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /instead of an array of events/);
    assert.ok(!result.stderr.includes("    at "), "no stack trace");
    assert.equal((await w.stored()).checkpoint, before);
  });

  it("an event without log_id, or ids going backwards, fail without committing past them", async (t) => {
    const w = await world(t, { tenant: { backlog: 150 }, env: fast });
    w.tenant.addEvent({ log_id: undefined, type: "s" } as never);
    w.tenant.addEvents(5);
    const result = await w.once();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /without a valid log_id/);
    const { checkpoint } = await w.stored();
    // The first full page (100 events) was delivered and committed; nothing after it.
    assert.equal(checkpoint, w.tenant.eventIds()[99]);
  });
});

describe("a crash between send and commit", () => {
  it("re-sends the batch after a restart: duplicates, never a skip", async (t) => {
    const w = await world(t, { tenant: { backlog: 1000 }, env: { BATCH_SIZE: "50" } });
    let requests = 0;
    const run = spawnCli(["once"], w.env, w.dir);
    // Kill the exporter the instant Logstash has recorded the 5th batch, before it can answer.
    (w.logstash as unknown as { options: { onRecorded: () => void } }).options.onRecorded = () => {
      if (++requests === 5) run.child.kill("SIGKILL");
    };
    await run.done;
    const store = new SqliteStore(join(w.dir, "state.sqlite"));
    const atCrash = (await store.forJob("default").checkpoints.get()).checkpoint;
    await store.close();
    const ids = w.tenant.eventIds();
    // At most the 4 acknowledged batches are committed; the 5th is not.
    assert.ok(atCrash !== null && atCrash <= (ids[199] as string), `checkpoint ${atCrash}`);
    (w.logstash as unknown as { options: { onRecorded: undefined } }).options.onRecorded =
      undefined;
    const again = await w.once();
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(w.missing(), []);
    assert.ok(
      w.duplicates().length >= 50 && w.duplicates().length <= 100,
      `${w.duplicates().length} duplicates`,
    );
  });
});
