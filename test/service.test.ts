// Service mode: schedules that never overlap, the job switch, Slack without storms, replay,
// status and runs, health and metrics.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSlack } from "../simulator/slack.ts";
import { checkpointAt } from "../src/auth0/checkpoint.ts";
import { skippedSpan } from "../src/runner/replay.ts";
import { runCli } from "./helpers/cli.ts";
import { serviceFor } from "./helpers/service.ts";
import { world } from "./helpers/world.ts";

describe("schedule", () => {
  it("fires executions that never overlap, recording ticks that fell during one as skipped", async (t) => {
    const w = await world(t, { tenant: { backlog: 800 }, logstash: { delayMs: 250 } });
    const { service, store } = await serviceFor(t, w, { SCHEDULE: "1s" });
    await service.start();
    await sleep(4500);
    await service.stop(5000);
    const runs = await store.runs.list({ limit: 100 });
    const executions = runs.filter((r) => r.outcome !== "skipped").reverse();
    assert.ok(executions.length >= 2, `${executions.length} executions`);
    assert.ok(
      runs.some((r) => r.outcome === "skipped"),
      "a tick during the long first execution was skipped",
    );
    for (let i = 1; i < executions.length; i++) {
      const previous = executions[i - 1];
      assert.ok(
        previous?.endedAt && (executions[i]?.startedAt ?? "") >= previous.endedAt,
        "no overlap",
      );
    }
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
  });

  it("runs no execution while the job is disabled, and resumes when enabled", async (t) => {
    const w = await world(t, { tenant: { backlog: 50 } });
    assert.equal((await runCli(["disable"], w.env, w.dir)).code, 0);
    const { service } = await serviceFor(t, w);
    assert.equal(await service.tick("schedule"), "disabled");
    assert.equal(w.logstash.requests.length, 0);
    assert.equal((await runCli(["enable"], w.env, w.dir)).code, 0);
    assert.equal(await service.tick("schedule"), "ran");
    assert.deepEqual(w.missing(), []);
  });

  it("with TAIL=true, polls again shortly after catching up", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const { service } = await serviceFor(t, w, {
      SCHEDULE: "0 0 1 1 *",
      TAIL: "true",
      TAIL_INTERVAL: "1s",
    });
    await service.start();
    await sleep(400);
    const late = w.tenant.addEvents(5);
    await sleep(2000);
    for (const id of late)
      assert.ok(w.logstash.idCounts().has(id), "a late event arrived without a schedule tick");
  });

  it("takes a new schedule without restart and keeps it", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const { service, store } = await serviceFor(t, w, { SCHEDULE: "0 0 1 1 *" });
    await service.start();
    await service.reschedule("*/10 * * * *");
    assert.equal((await service.status()).schedule, "*/10 * * * *");
    assert.equal(await store.state.get("schedule"), "*/10 * * * *");
  });
});

describe("Slack", () => {
  it("posts one alert for an outage spanning several executions, then one recovery", async (t) => {
    const w = await world(t, { tenant: { backlog: 100 }, env: { RETRY_MAX_TIME: "500ms" } });
    const slack = await startSlack();
    t.after(() => slack.close());
    const { service, notifier } = await serviceFor(t, w, {
      SLACK_INCOMING_WEBHOOK: slack.url,
      ALERT_REMINDER: "1h",
    });
    w.logstash.failNext("503", 1000);
    for (let i = 0; i < 4; i++) await service.tick("schedule");
    await notifier.idle();
    assert.equal(slack.messages.length, 1);
    assert.match(
      slack.messages[0]?.text ?? "",
      /Auth0 log export failed[\s\S]*Logstash answered 503[\s\S]*Checkpoint: `\d{56}`/,
    );
    assert.ok(
      !(slack.messages[0]?.text ?? "").includes(w.logstash.url),
      "no Logstash URL in Slack",
    );
    assert.ok(Array.isArray(slack.messages[0]?.blocks), "Block Kit layout with a text fallback");
    w.logstash.faults.clear();
    await service.tick("schedule");
    await notifier.idle();
    assert.equal(slack.messages.length, 2);
    assert.match(slack.messages[1]?.text ?? "", /recovered/);
    assert.deepEqual(w.missing(), []);
  });

  it("reminds at most every ALERT_REMINDER while failing for the same cause", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 }, env: { RETRY_MAX_TIME: "300ms" } });
    const slack = await startSlack();
    t.after(() => slack.close());
    const { service, notifier } = await serviceFor(t, w, {
      SLACK_INCOMING_WEBHOOK: slack.url,
      ALERT_REMINDER: "1s",
    });
    w.logstash.failNext("503", 1000);
    await service.tick("schedule");
    await service.tick("schedule");
    await sleep(1100);
    await service.tick("schedule");
    await notifier.idle();
    assert.equal(slack.messages.length, 2);
    assert.match(slack.messages[1]?.text ?? "", /still failing \(3 executions\)/);
  });

  it("posts successes with SLACK_SEND_SUCCESS, and a Slack failure never fails the export", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const slack = await startSlack();
    t.after(() => slack.close());
    const { service, notifier, store } = await serviceFor(t, w, {
      SLACK_INCOMING_WEBHOOK: slack.url,
      SLACK_SEND_SUCCESS: "true",
    });
    slack.failNext("410");
    await service.tick("schedule");
    await notifier.idle();
    assert.equal((await store.runs.list({ limit: 1 }))[0]?.outcome, "success");
    assert.equal(slack.messages.length, 0);
    slack.failNext("429");
    w.tenant.addEvents(3);
    await service.tick("schedule");
    await notifier.idle();
    assert.equal(slack.messages.length, 1, "a 429 is retried after Retry-After");
    assert.match(slack.messages[0]?.text ?? "", /succeeded/);
  });

  it("sends a daily report", async (t) => {
    const w = await world(t, { tenant: { backlog: 30 } });
    const slack = await startSlack();
    t.after(() => slack.close());
    const { service, notifier } = await serviceFor(t, w, { SLACK_INCOMING_WEBHOOK: slack.url });
    await service.tick("schedule");
    await notifier.dailyReport();
    await notifier.idle();
    assert.match(slack.messages[0]?.text ?? "", /daily report[\s\S]*Logs exported: 31/);
  });
});

describe("replay", () => {
  it("re-sends everything after the chosen checkpoint and records the replay", async (t) => {
    const w = await world(t, { tenant: { backlog: 300 } });
    assert.equal((await w.once()).code, 0);
    const from = w.tenant.eventIds()[199] as string;
    const replay = await runCli(["replay", "--from", from], w.env, w.dir);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, new RegExp(`Checkpoint moved from \\d{56} to ${from}`));
    assert.equal((await w.once()).code, 0);
    assert.equal(w.duplicates().length, 101); // events 201..300 and the seccft event
    const { runs } = await w.stored();
    assert.ok(runs.some((r) => r.trigger === "replay" && r.lastCheckpoint === from));
  });

  it("accepts a time with --since", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const replay = await runCli(["replay", "--since", "2026-11-20T08:00:00Z"], w.env, w.dir);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /to 90020261120080000000000000000000000000000000000000000000/);
  });

  it("refuses a move forward past events not sent yet, unless --skip, and records the skip", async (t) => {
    const w = await world(t, { tenant: { backlog: 50 } });
    assert.equal((await w.once()).code, 0);
    const before = (await w.stored()).checkpoint as string;
    const unsent = w.tenant.addEvents(30);
    const to = unsent[19] as string;
    const refused = await runCli(["replay", "--from", to], w.env, w.dir);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(
      refused.stderr,
      /moving it forward to \d{56} \(.+\) would skip every event between \d{4}-\d\d-\d\d \d\d:\d\d:\d\d and [\d: -]+ UTC \(\d+s\) not sent yet, and they would never be sent\. Nothing moved\.\nTo skip them on purpose, add --skip/,
    );
    assert.equal((await w.stored()).checkpoint, before, "nothing moved");
    assert.equal((await w.stored()).runs.length, 1, "nothing recorded");

    const skipped = await runCli(["replay", "--from", to, "--skip"], w.env, w.dir);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /Checkpoint moved forward from \d{56} .* skipping every event/);
    const list = await runCli(["runs"], w.env, w.dir);
    assert.match(list.stdout, /^2 +replay +skipped-events .* skipped every event between/m);
    const show = await runCli(["runs", "show", "2"], w.env, w.dir);
    assert.match(show.stdout, /^Run 2: skipped-events \(replay\)$/m);
    assert.match(show.stdout, new RegExp(`^From: +${before} `, "m"));
    assert.match(show.stdout, /^Warning: +skipped every event between .* \(replay --skip\)$/m);
    const filtered = await runCli(["runs", "--outcome", "skipped-events", "--json"], w.env, w.dir);
    assert.deepEqual(
      JSON.parse(filtered.stdout).map((r: { id: number }) => r.id),
      [2],
    );

    // The skip stands: the next execution sends what follows it, and never the skipped events.
    assert.equal((await w.once()).code, 0);
    const counts = w.logstash.idCounts();
    assert.deepEqual(
      unsent.map((id) => counts.get(id) ?? 0),
      unsent.map((_, i) => (i <= 19 ? 0 : 1)),
    );
  });

  it("a move back, or a first checkpoint, is no skip", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 } });
    const first = await runCli(
      ["replay", "--from", w.tenant.eventIds()[15] as string],
      w.env,
      w.dir,
    );
    assert.equal(first.code, 0, first.stderr);
    const back = await runCli(["replay", "--from", w.tenant.eventIds()[5] as string], w.env, w.dir);
    assert.equal(back.code, 0, back.stderr);
    const { runs } = await w.stored();
    assert.deepEqual(
      runs.map((r) => [r.trigger, r.outcome]),
      [
        ["replay", "success"],
        ["replay", "success"],
      ],
    );
  });

  it("names the span a move forward skips from the checkpoints' times", () => {
    const at = (time: string) => checkpointAt(new Date(time));
    assert.equal(
      skippedSpan(at("2026-11-24T08:00:00Z"), at("2026-11-24T11:30:00Z")),
      "every event between 2026-11-24 08:00:00 and 11:30:00 UTC (3h 30m) not sent yet",
    );
    assert.equal(
      skippedSpan(at("2026-11-23T22:00:00Z"), at("2026-11-24T01:30:00Z")),
      "every event between 2026-11-23 22:00:00 and 2026-11-24 01:30:00 UTC (3h 30m) not sent yet",
    );
    assert.equal(skippedSpan(null, at("2026-11-24T08:00:00Z")), null);
    assert.equal(skippedSpan(at("2026-11-24T08:00:00Z"), at("2026-11-24T07:00:00Z")), null);
  });

  const malformed: [string, string[], RegExp][] = [
    ["a short id", ["--from", "900123"], /--from: "900123": not an Auth0 log id/],
    ["an id with letters", ["--from", `900${"x".repeat(53)}`], /not an Auth0 log id/],
    ["a bad time", ["--since", "yesterday"], /--since: "yesterday": not an ISO 8601 time/],
    ["both options", ["--since", "2026-11-20T08:00:00Z", "--from", "1"], /exactly one of/],
    ["neither option", [], /exactly one of/],
  ];
  for (const [name, args, message] of malformed) {
    it(`refuses ${name} with exit 2, changing nothing`, async (t) => {
      const w = await world(t, { tenant: { backlog: 10 } });
      await w.once();
      const before = (await w.stored()).checkpoint;
      const result = await runCli(["replay", ...args], w.env, w.dir);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.equal((await w.stored()).checkpoint, before);
    });
  }

  it("stops a running execution at its next commit instead of overwriting the replay, then replays at once", async (t) => {
    const w = await world(t, { tenant: { backlog: 1000 }, logstash: { delayMs: 100 } });
    const { service, store } = await serviceFor(t, w);
    const running = service.tick("manual");
    await sleep(350);
    const replayTo = w.tenant.eventIds()[9] as string;
    assert.equal((await runCli(["replay", "--from", replayTo], w.env, w.dir)).code, 0);
    await running;
    const runs = await store.runs.list({ limit: 10 });
    assert.equal(runs.find((r) => r.trigger === "manual")?.outcome, "aborted");
    // No schedule tick needed: the replay execution starts by itself and re-sends event 11 on.
    const eleventh = w.tenant.eventIds()[10] as string;
    for (let i = 0; i < 100 && (w.logstash.idCounts().get(eleventh) ?? 0) < 2; i++) await sleep(50);
    assert.equal(w.logstash.idCounts().get(eleventh), 2);
    assert.ok(
      (await store.runs.list({ limit: 10 })).some(
        (r) => r.trigger === "replay" && r.outcome !== "skipped" && r.read > 0,
      ),
    );
  });
});

describe("status and runs", () => {
  it("status shows the state, schedule, next run, checkpoint, lag and runs", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 } });
    await w.once();
    const text = await runCli(["status"], { ...w.env, SCHEDULE: "*/5 * * * *" }, w.dir);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /State: +enabled/);
    assert.match(text.stdout, /Schedule: +\*\/5 \* \* \* \*, next run \d{4}-/);
    assert.match(text.stdout, /Lag: +\d+/);
    assert.match(text.stdout, /RUN +TRIGGER +OUTCOME/);
    const json = JSON.parse((await runCli(["status", "--json"], w.env, w.dir)).stdout);
    assert.equal(json.enabled, true);
    assert.equal(json.checkpoint, w.tenant.eventIds().at(-1));
    assert.equal(json.runs[0].sent, 21);
    assert.equal(typeof json.lagSeconds, "number");
  });

  it("runs lists the history and runs show ID gives a run's details with the replay checkpoint", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 }, env: { RETRY_MAX_TIME: "300ms" } });
    await w.once();
    w.logstash.failNext("503", 100);
    w.tenant.addEvents(5);
    await w.once();
    const list = await runCli(["runs", "--outcome", "failed"], w.env, w.dir);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /failed/);
    assert.doesNotMatch(list.stdout, /success/);
    const show = await runCli(["runs", "show", "2"], w.env, w.dir);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /Run 2: failed \(manual\)/);
    assert.match(show.stdout, /Error: +gave up after retrying/);
    assert.match(show.stdout, /Replay from: \d{56}/);
    // once holds the tenant's lease: the run names the process and its epoch.
    assert.match(show.stdout, /Exported by: pid \d+ on \S+, lease epoch \d+\n/);
    const missing = await runCli(["runs", "show", "99"], w.env, w.dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /there is no run 99/);
    assert.equal((await runCli(["runs", "--limit", "zero"], w.env, w.dir)).code, 2);
  });
});

describe("health and metrics", () => {
  it("metrics move as events flow, and readiness follows failures", async (t) => {
    const w = await world(t, { tenant: { backlog: 250 }, env: { RETRY_MAX_TIME: "300ms" } });
    const { service, app } = await serviceFor(t, w, { READY_MAX_FAILURES: "2" });
    assert.equal((await app.request("/healthz")).status, 200);
    assert.equal((await app.request("/readyz")).status, 200);
    await service.tick("schedule");
    const metrics = await (await app.request("/metrics")).text();
    assert.match(metrics, /auth0_logs_exporter_events_sent_total\{tenant="default"\} 251/);
    assert.match(metrics, /auth0_logs_exporter_events_read_total\{tenant="default"\} 251/);
    assert.match(metrics, /auth0_logs_exporter_batches_total\{tenant="default"\} 3/);
    assert.match(
      metrics,
      /auth0_logs_exporter_executions_total\{tenant="default",outcome="success"\} 1/,
    );
    assert.match(metrics, /auth0_logs_exporter_checkpoint_lag_seconds\{tenant="default"\} \d/);
    assert.match(
      metrics,
      /auth0_logs_exporter_last_success_timestamp_seconds\{tenant="default"\} \d/,
    );
    w.logstash.failNext("503", 1000);
    w.tenant.addEvents(1);
    await service.tick("schedule");
    await service.tick("schedule");
    const after = await (await app.request("/metrics")).text();
    assert.match(
      after,
      /auth0_logs_exporter_retries_total\{tenant="default",side="logstash"\} [1-9]/,
    );
    const ready = await app.request("/readyz");
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /2 executions in a row failed/);
  });
});

describe("warnings", () => {
  it("a checkpoint older than the tenant's retention warns in the run record, the logs and Slack, once", async (t) => {
    const w = await world(t, { tenant: { backlog: 50, backlogSpanMs: 3 * 86_400_000 } });
    const slack = await startSlack();
    t.after(() => slack.close());
    const { service, store, notifier, lines } = await serviceFor(t, w, {
      SLACK_INCOMING_WEBHOOK: slack.url,
      AUTH0_LOG_RETENTION: "1d",
      INITIAL_LOOKBACK: "4d",
    });
    await service.tick("schedule");
    await notifier.idle();
    const [run] = await store.runs.list({ limit: 1 });
    assert.ok(
      run?.warnings.some((w) =>
        /beyond the tenant's log retention of 24h 00m \(AUTH0_LOG_RETENTION\)/.test(w),
      ),
    );
    assert.ok(lines.some((line) => line.includes("AUTH0_LOG_RETENTION")));
    assert.equal(slack.messages.length, 1);
    assert.match(slack.messages[0]?.text ?? "", /warning[\s\S]*may already be deleted/);
  });

  it("a stale newest event warns after catching up", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 5, backlogSpanMs: 3 * 3_600_000 },
      env: { STALE_AFTER: "1h" },
    });
    const { service, store } = await serviceFor(t, w, { SLACK_INCOMING_WEBHOOK: "" });
    await service.tick("schedule");
    const [run] = await store.runs.list({ limit: 1 });
    assert.equal(run?.outcome, "success");
    assert.ok(
      run?.warnings.every((w) => !w.includes("STALE_AFTER")),
      "the seccft event of our token is fresh",
    );
  });
});
