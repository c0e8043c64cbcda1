// VERIFY_SCHEDULE: the service verifies the last VERIFY_WINDOW of a tenant it holds, beside its
// executions; the missing count is a metric, Slack is told once per episode, and VERIFY_REPAIR
// re-sends what is missing. The tests call the tenant's verification as its schedule would.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SearchFake } from "../simulator/search/index.ts";
import { startSlack } from "../simulator/slack.ts";
import { serviceFor } from "./helpers/service.ts";
import { world } from "./helpers/world.ts";

const TARGET = "logs-auth0.export-default";

describe("VERIFY_SCHEDULE in the service", () => {
  it("the missing count as a metric; Slack told once while events stay missing", async (t) => {
    const slack = await startSlack();
    t.after(() => slack.close());
    const w = await world(t, { tenant: { backlog: 200 }, search: {} });
    const d = await serviceFor(t, w, {
      VERIFY_SCHEDULE: "0 6 * * *",
      VERIFY_WINDOW: "6h",
      SLACK_INCOMING_WEBHOOK: slack.url,
    });
    await d.service.tick("manual");
    const search = w.search as SearchFake;
    const removed = w.tenant.eventIds().slice(10, 14);
    search.removeDocuments(TARGET, removed);
    const runner = d.supervisor.runner("default");
    assert.ok(runner);
    assert.ok(runner.verification.next(), "the next verification is scheduled");
    const first = await runner.verification.run();
    assert.equal(first?.missing, removed.length);
    assert.deepEqual(first?.found.missing, [...removed].sort());
    const second = await runner.verification.run();
    assert.equal(second?.missing, removed.length);
    await d.notifier.idle();
    const told = slack.messages.filter((m) =>
      m.text?.startsWith("Auth0 log export: events missing from the index"),
    );
    assert.equal(told.length, 1, "once per episode");
    assert.match(told[0]?.text ?? "", /4 events of .* are in Auth0 but not in Elasticsearch/);
    const text = await (await d.app.request("/metrics")).text();
    assert.match(text, /auth0_logs_exporter_verify_missing_events\{tenant="default"\} 4/);
    assert.match(text, /auth0_logs_exporter_verify_last_timestamp_seconds\{tenant="default"\} \d+/);
    const { runs } = await w.stored();
    assert.deepEqual(
      runs.slice(0, 2).map((run) => run.trigger),
      ["verify", "verify"],
    );
  });

  it("VERIFY_REPAIR=true re-sends what is missing: the metric reads 0, nothing indexed twice", async (t) => {
    const w = await world(t, { tenant: { backlog: 200 }, search: {} });
    const d = await serviceFor(t, w, { VERIFY_SCHEDULE: "1h", VERIFY_REPAIR: "true" });
    await d.service.tick("manual");
    const search = w.search as SearchFake;
    search.removeDocuments(TARGET, w.tenant.eventIds().slice(50, 53));
    const runner = d.supervisor.runner("default");
    const result = await runner?.verification.run();
    assert.equal(result?.repair?.sent, 3);
    assert.equal(result?.missing, 0);
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
    const text = await (await d.app.request("/metrics")).text();
    assert.match(text, /auth0_logs_exporter_verify_missing_events\{tenant="default"\} 0/);
  });

  it("VERIFY_WINDOW longer than AUTH0_LOG_RETENTION is a settings problem", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 }, search: {} });
    await assert.rejects(
      serviceFor(t, w, { VERIFY_SCHEDULE: "1h", VERIFY_WINDOW: "2d", AUTH0_LOG_RETENTION: "1d" }),
      /VERIFY_WINDOW: 2d reaches further back than AUTH0_LOG_RETENTION \(1d\)/,
    );
  });
});
