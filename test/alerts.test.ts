// Which failures and warnings are "the same cause" for Slack: one message per cause, not one per
// value that happened to be in the text; successes of a tailing job, at most one a period; and text
// from upstream (a cluster's reason, an event's value quoted in a refusal) reaching Slack as text,
// never as a ping or a link, in every message.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { parseMessage, startSlack } from "../simulator/slack.ts";
import type { Config } from "../src/config/types.ts";
import { NO_COUNTS, type RunRecord } from "../src/interfaces.ts";
import { causeOf, decide, initialAlertState } from "../src/notify/alerts.ts";
import { SlackNotifier } from "../src/notify/notifier.ts";
import { layout, md } from "../src/notify/slack.ts";
import { deadLettersWarning, runWarning } from "../src/util/run-warnings.ts";
import { SQLITE } from "./helpers/stores.ts";

/** The run warning a batch with refused documents leaves (runner/execution.ts). */
const refused = (count: number, reason: string) =>
  `${count} document(s) refused by Elasticsearch 8.17.0 http://127.0.0.1:9200/ (logs-auth0.export-default) and kept as dead letters (first: 400 ${reason}); see 'dead-letters list'`;

describe("a run warning's kind", () => {
  it("the dead-letters warning is known by its kind once stored as text; any other is 'other'", () => {
    const written = deadLettersWarning(2, "Logstash http://127.0.0.1:8080/", {
      status: 400,
      reason: "kept as dead letters (first: no",
    });
    assert.equal(written.kind, "dead-letters");
    assert.deepEqual(runWarning(written.text), written);
    assert.equal(runWarning(refused(3, "mapper_parsing_exception")).kind, "dead-letters");
    for (const other of [
      "the previous execution was still running",
      "skipped 3 events kept as dead letters (first: x), for good (replay)",
    ]) {
      assert.equal(runWarning(other).kind, "other", other);
    }
  });
});

describe("causeOf", () => {
  it("Elasticsearch's refusals with different documents, ids and values are one cause", () => {
    const reasons = [
      "document_parsing_exception: [1:2045] failed to parse field [auth0.logs.data.details.code] of type [long] in document with id '90020260101000000000000000000000000000000000000000000042'. Preview of field's value: 'abc'",
      "document_parsing_exception: [1:17] failed to parse field [auth0.logs.data.details.code] of type [long] in document with id 'Zx9-_aB'. Preview of field's value: 'it's a string, with: quotes'",
      "document_parsing_exception: [1:311] failed to parse field [auth0.logs.data.details.code] of type [long] in document with id 'q'. Preview of field's value: '{a=1, b=[x, y]}'",
      'document_parsing_exception: [1:9] failed to parse field [auth0.logs.data.details.code] of type [long] in document with id "dq". Preview of field\'s value: "x"',
    ];
    const causes = new Set(reasons.map((reason, i) => causeOf(refused(i + 1, reason))));
    assert.equal(causes.size, 1, [...causes].join("\n"));
    // Still says what is wrong, and where (digits aside).
    const [cause] = causes;
    assert.match(
      cause ?? "",
      /failed to parse field \[auth<n>\.logs\.data\.details\.code\] of type \[long\]/,
    );
  });

  it("OpenSearch's refusals (no position) with different values are one cause, in a warning or alone", () => {
    const reasons = ["1", "true", "x y z"].map(
      (value, i) =>
        `mapper_parsing_exception: failed to parse field [details.id] of type [long] in document with id 'id-${i}'. Preview of field's value: '${value}'`,
    );
    assert.equal(new Set(reasons.map((r) => causeOf(refused(3, r)))).size, 1);
    assert.equal(new Set(reasons.map(causeOf)).size, 1);
  });

  it("different fields or types stay different causes", () => {
    const field = (name: string, type: string) =>
      causeOf(
        refused(
          1,
          `document_parsing_exception: [1:2] failed to parse field [${name}] of type [${type}] in document with id 'a'. Preview of field's value: 'v'`,
        ),
      );
    assert.notEqual(field("details.a", "long"), field("details.b", "long"));
    assert.notEqual(field("details.a", "long"), field("details.a", "boolean"));
  });

  it("keeps the older rules: counts and checkpoints are not news; a failing store is one cause", () => {
    assert.equal(causeOf("sent 5 of 10"), causeOf("sent 7 of 12"));
    assert.equal(
      causeOf("the store postgres could not be read: reset"),
      causeOf("the store postgres could not be written: refused"),
    );
  });
});

describe("success posts", () => {
  const ok = { ok: true, error: null };
  const options = { reminderMs: 3_600_000, sendSuccess: true };

  it("tailing (successSince, the schedule period's start): at most one a period", () => {
    const first = decide(initialAlertState, ok, 1_000, { ...options, successSince: 500 });
    assert.equal(first.decision, "success");
    let state = first.state;
    for (const now of [2_000, 3_000, 9_000]) {
      const next = decide(state, ok, now, { ...options, successSince: 500 });
      assert.equal(next.decision, null, `a poll at ${now} in the same period`);
      state = next.state;
    }
    assert.equal(
      decide(state, ok, 10_001, { ...options, successSince: 10_000 }).decision,
      "success",
    );
  });

  it("a recovery counts as this period's post; executions on the schedule post each time", () => {
    const failing = decide(initialAlertState, { ok: false, error: "down" }, 1_000, options).state;
    const recovered = decide(failing, ok, 2_000, { ...options, successSince: 500 });
    assert.equal(recovered.decision, "recovered");
    assert.equal(
      decide(recovered.state, ok, 3_000, { ...options, successSince: 500 }).decision,
      null,
    );
    assert.equal(decide(recovered.state, ok, 3_000, options).decision, "success");
  });

  it("an alert state stored by an older version (no successPostedAt) posts", () => {
    const old = { failingCause: null, failingSince: null, lastPostedAt: null, failures: 0 };
    assert.equal(decide(old, ok, 1_000, { ...options, successSince: 500 }).decision, "success");
    assert.equal(decide(old, ok, 1_000, { ...options, sendSuccess: false }).decision, null);
  });
});

/** What an outside probe put where a cluster's reason and a refused event's value are quoted. */
const LURE = "<!channel> <https://evil.example/reset|credentials expired: click here>";
const CLUSTER_ERROR = `Elasticsearch answered 400 (illegal_argument_exception): ${LURE} & more`;
const REFUSAL = refused(
  2,
  `document_parsing_exception: [1:2] failed to parse field [details.code] of type [long] in document with id 'x'. Preview of field's value: '<!here> <@U024BE7LH> &lt;b&gt; ${LURE}'`,
);
/** Slack's automatic parsing would make these a ping and a link, unless told to leave text be. */
const BARE = "retention: @channel see https://evil.example/reset *now* _or_ `never`";
const CHECKPOINT = `90020260101000000${"0".repeat(37)}42`;

const run = (warnings: string[]): RunRecord => ({
  ...NO_COUNTS,
  id: 7,
  trigger: "schedule",
  startedAt: "2026-01-01T00:00:00.000Z",
  endedAt: "2026-01-01T00:00:05.000Z",
  outcome: "failed",
  retries: 0,
  firstCheckpoint: null,
  lastCheckpoint: CHECKPOINT,
  warnings,
  error: null,
  holder: null,
  epoch: null,
  committedEpochs: null,
});

describe("Slack messages quote upstream text as text", () => {
  it("every message kind: no ping, no link, the quoted text shown as it was, our markup kept", async (t) => {
    const slack = await startSlack();
    t.after(() => slack.close());
    const store = (await SQLITE.open(t)).forJob("default");
    const config = { slack: { reminderMs: 0, sendSuccess: true } } as Config;
    const notifier = new SlackNotifier(config, store, pino({ level: "silent" }), slack.url);
    const warned = run([REFUSAL, BARE]);
    await notifier.executionEnded({ ok: false, error: CLUSTER_ERROR, run: warned });
    await notifier.executionEnded({ ok: false, error: CLUSTER_ERROR, run: warned });
    await notifier.executionEnded({ ok: true, error: null, run: warned });
    await notifier.executionEnded({ ok: true, error: null, run: warned });
    notifier.storeStatus({ down: true, error: `the store postgres could not be read: ${LURE}` });
    notifier.storeStatus({ down: false, forMs: 60_000 });
    await store.checkpoints.set(CHECKPOINT, { kind: "replay" });
    await notifier.dailyReport();
    await notifier.idle();

    assert.deepEqual(slack.refused, []);
    const titles = slack.messages.map((m) => m.text?.split("\n")[0]);
    assert.deepEqual(titles, [
      "Auth0 log export failed",
      "Auth0 log export still failing (2 executions)",
      "Auth0 log export: documents refused",
      "Auth0 log export: warning",
      "Auth0 log export recovered",
      "Auth0 log export succeeded",
      "Auth0 log export stopped: the store is unreachable",
      "Auth0 log export: the store is reachable again",
      "Auth0 log export: daily report",
    ]);
    for (const message of slack.messages) {
      const parsed = parseMessage(message);
      assert.deepEqual(parsed.actions, [], `nothing to act on in: ${message.text}`);
    }
    const shown = (i: number) => parseMessage(slack.messages[i] ?? {}).shown.join("\n");
    for (const i of [0, 1]) assert.ok(shown(i).includes(CLUSTER_ERROR), shown(i));
    for (const i of [0, 1, 2, 4, 5]) assert.ok(shown(i).includes(REFUSAL), shown(i));
    for (const i of [3, 4, 5]) assert.ok(shown(i).includes(BARE), shown(i));
    assert.ok(shown(6).includes(LURE), shown(6));
    // Our own markup still works: bold labels, code spans around checkpoints and commands.
    const failure = JSON.stringify(slack.messages[0]?.blocks);
    assert.ok(failure.includes(`the checkpoint \`${CHECKPOINT}\``), failure);
    assert.ok(failure.includes("*Checkpoint*\\n`"), failure);
    assert.match(JSON.stringify(slack.messages[2]?.blocks), /`dead-letters retry --all`/);
    assert.match(JSON.stringify(slack.messages[8]?.blocks), /\*Checkpoint\*\\n`\d{56}`/);
  });

  it("escaping that makes long text longer stays within Block Kit's limits, cut between entities", async (t) => {
    const slack = await startSlack();
    t.after(() => slack.close());
    const long = "<>&".repeat(1500);
    const message = layout("Auth0 log export failed", md`${long}\n\`${CHECKPOINT}\``, [
      { label: "Warning", value: long },
    ]);
    const blocks = JSON.stringify(message.blocks);
    assert.doesNotMatch(blocks, /&(a|am|amp|l|lt|g|gt)?…/, "no entity cut in half");
    const { SlackClient } = await import("../src/notify/slack.ts");
    const client = new SlackClient(slack.url, pino({ level: "silent" }));
    client.post(message);
    await client.idle();
    assert.deepEqual(slack.refused, []);
    assert.equal(slack.messages.length, 1);
    assert.deepEqual(parseMessage(message).actions, []);
  });
});
