// A job's runner in the service: one execution at a time whatever asks for one and however slow the
// store is, and a lease found lost by a commit ends the job's export at once.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { JobStore } from "../src/interfaces.ts";
import { serviceFor } from "./helpers/service.ts";
import { world } from "./helpers/world.ts";

/** The job's switch read from a remote database: each read takes 30 ms. */
function slowSwitch(store: JobStore): void {
  const get = store.state.get.bind(store.state);
  store.state.get = async (key: string) => {
    await sleep(30);
    return get(key);
  };
}

describe("one execution at a time", () => {
  it("a manual tick arriving while a schedule tick reads the switch starts no second execution", async (t) => {
    const w = await world(t, { tenant: { backlog: 300 }, logstash: { delayMs: 50 } });
    const { service, store } = await serviceFor(t, w, { SCHEDULE: "1h" });
    await service.start();
    slowSwitch(store);
    const scheduled = service.tick("schedule");
    await sleep(1);
    const manual = service.tick("manual");
    assert.deepEqual([await scheduled, await manual], ["ran", "skipped"]);
    const runs = await store.runs.list({ limit: 10 });
    assert.deepEqual(
      runs.map((r) => [r.trigger, r.outcome, r.error]),
      [["schedule", "success", null]],
    );
    assert.equal(w.missing().length, 0);
    assert.equal(w.duplicates().length, 0);
  });

  it("a manual tick arriving while a schedule tick finds the job disabled still runs", async (t) => {
    const w = await world(t, { tenant: { backlog: 50 } });
    const { service, store } = await serviceFor(t, w, { SCHEDULE: "1h" });
    await service.start();
    await store.state.set("enabled", "false");
    slowSwitch(store);
    const scheduled = service.tick("schedule");
    await sleep(1);
    const manual = service.tick("manual");
    assert.deepEqual([await scheduled, await manual], ["disabled", "ran"]);
    assert.deepEqual(
      (await store.runs.list({ limit: 10 })).map((r) => [r.trigger, r.outcome]),
      [["manual", "success"]],
    );
  });
});

describe("a lease lost at commit", () => {
  it("ends the job's export at once: no tick starts another execution", async (t) => {
    // Another process takes the job over (this one seemed dead to it) while the first batch is in
    // flight: Logstash has it, its answer is not yet sent.
    let takeOver = () => {};
    const w = await world(t, {
      tenant: { backlog: 300 },
      logstash: { onRecorded: () => takeOver() },
    });
    const { service, supervisor, store } = await serviceFor(t, w, { SCHEDULE: "1h" });
    await service.start();
    const runner = supervisor.runner("default");
    assert.ok(runner);
    const other = { id: "other:1", host: "elsewhere", pid: 1, command: "run", startedAt: "" };
    let taken: Promise<unknown> | null = null;
    takeOver = () => {
      taken ??= store.leases.claim(other, 60_000, () => true);
    };
    assert.equal(await service.tick("manual"), "ran");
    assert.deepEqual(await taken, { held: true, epoch: 2 });
    const [run] = await store.runs.list({ limit: 1 });
    assert.equal(run?.outcome, "aborted");
    assert.match(run?.error ?? "", /another process took this job over/);
    // Given up at once, not at the next renewal seconds later.
    assert.equal(supervisor.runner("default"), undefined, "the supervisor no longer runs it");
    assert.equal(await runner.tick("manual"), "skipped");
    assert.equal(await runner.tick("schedule"), "skipped");
    assert.equal((await store.runs.list({ limit: 10 })).length, 1, "no other execution began");
    assert.equal(
      (await store.checkpoints.get()).checkpoint,
      run?.firstCheckpoint,
      "nothing committed",
    );
    assert.equal((await store.leases.holder())?.holder.id, "other:1");
  });
});
