// A job's runner in the service: one execution at a time whatever asks for one and however slow the
// store is, and a lease found lost by a commit ends the job's export at once.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSlack } from "../simulator/slack.ts";
import type { JobStore } from "../src/interfaces.ts";

import { until } from "./helpers/poll.ts";
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

/** A tailing service with Slack on every success, polling every 20 ms rather than TAIL_INTERVAL. */
async function tailing(t: Parameters<typeof world>[0], env: Record<string, string> = {}) {
  const w = await world(t, { tenant: { backlog: 10 }, env });
  const slack = await startSlack();
  t.after(() => slack.close());
  const service = await serviceFor(t, w, {
    SCHEDULE: "0 0 1 1 *",
    TAIL: "true",
    SLACK_INCOMING_WEBHOOK: slack.url,
    SLACK_SEND_SUCCESS: "true",
  });
  // Many polls in little time: the count of polls matters here, not the pause between them.
  service.config.tail.intervalMs = 20;
  /** Waits until Auth0 has been asked for logs `count` more times: as many polls at least. */
  const polls = async (count: number) => {
    const from = w.tenant.stats.logRequests;
    await until(() => (w.tenant.stats.logRequests >= from + count ? true : undefined));
  };
  const info = (message: string) =>
    service.lines.filter((line) => {
      const entry = JSON.parse(line) as { level: number; msg: string };
      return entry.level >= 30 && entry.msg === message;
    }).length;
  const successes = () => slack.messages.filter((m) => /succeeded/.test(m.text ?? "")).length;
  return { w, slack, polls, info, successes, ...service };
}

describe("tailing", () => {
  it("polls that read nothing record no run, log no INFO line and post no success", async (t) => {
    const { w, service, store, notifier, polls, info, successes } = await tailing(t);
    await service.start();
    // Some 30 s of polls at the 1 s TAIL_INTERVAL, each reading nothing new.
    await polls(30);
    await service.stop(1000);
    await notifier.idle();
    const runs = await store.runs.list({ limit: 100 });
    assert.deepEqual(
      runs.map((r) => [r.trigger, r.outcome, r.sent]),
      [["tail", "success", w.tenant.eventIds().length]],
      "the catching-up execution alone is a run",
    );
    assert.equal(info("caught up"), 1, "one INFO line: the catching-up execution's");
    assert.equal(successes(), 1, "one success posted to Slack");
    assert.deepEqual(w.missing(), []);
  });

  it("events arriving while tailing are exported and recorded in one tail run", async (t) => {
    const { w, service, store, notifier, polls, successes } = await tailing(t);
    await service.start();
    await polls(5);
    for (const round of [3, 4]) {
      const ids = w.tenant.addEvents(round);
      await until(() => (ids.every((id) => w.logstash.idCounts().has(id)) ? true : undefined));
      await polls(5);
    }
    await service.stop(1000);
    await notifier.idle();
    const runs = await store.runs.list({ limit: 100 });
    assert.deepEqual(
      runs.map((r) => [r.trigger, r.outcome, r.sent]),
      [
        ["tail", "success", 7],
        ["tail", "success", w.tenant.eventIds().length - 7],
      ],
      "the polls that exported are one run, updated in place",
    );
    const [tail, first] = runs;
    assert.equal(tail?.firstCheckpoint, first?.lastCheckpoint, "the tail run starts where it did");
    assert.equal(tail?.lastCheckpoint, (await store.checkpoints.get()).checkpoint);
    assert.ok(tail?.committedEpochs, "its commits carry the lease's epoch");
    assert.equal(tail.committedEpochs.high, tail.epoch);
    assert.equal(successes(), 1, "at most one success posted in the schedule's period");
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
  });

  it("a poll that fails is a failed run and an alert", async (t) => {
    const { w, service, store, notifier, slack, polls } = await tailing(t, {
      RETRY_MAX_TIME: "300ms",
    });
    await service.start();
    await polls(5);
    w.tenant.failNext("500-html", 1000);
    const failed = await until(async () => {
      const [run] = await store.runs.list({ limit: 1, outcome: "failed" });
      return run;
    });
    await notifier.idle();
    assert.equal(failed.trigger, "tail");
    assert.match(failed.error ?? "", /500/);
    assert.ok(
      slack.messages.some((m) => /Auth0 log export failed/.test(m.text ?? "")),
      "the failure is posted to Slack",
    );
    assert.equal((await service.status()).consecutiveFailures, 1);
  });

  it("a schedule tick during a tail poll is not recorded as skipped", async (t) => {
    const { service, store, supervisor, polls } = await tailing(t);
    await service.start();
    await polls(3);
    // The next poll waits at its start until the tick has come.
    const runner = supervisor.runner("default");
    assert.ok(runner);
    const verify = runner.store.verify.bind(runner.store);
    const { promise: ticked, resolve: release } = Promise.withResolvers<void>();
    let waiting = false;
    runner.store.verify = async () => {
      waiting = true;
      await ticked;
      return verify();
    };
    await until(() => (waiting ? true : undefined));
    assert.equal(await service.tick("schedule"), "skipped");
    release();
    await polls(2);
    assert.deepEqual(
      (await store.runs.list({ limit: 10 })).map((r) => [r.trigger, r.outcome]),
      [["tail", "success"]],
    );
  });
});
