// Which failures and warnings are "the same cause" for Slack: one message per cause, not one per
// value that happened to be in the text; and successes of a tailing job, at most one a period.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { causeOf, decide, initialAlertState } from "../src/notify/alerts.ts";

/** The run warning a batch with refused documents leaves (runner/execution.ts). */
const refused = (count: number, reason: string) =>
  `${count} document(s) refused by Elasticsearch 8.17.0 http://127.0.0.1:9200/ (logs-auth0.export-default) and kept as dead letters (first: 400 ${reason}); see 'dead-letters list'`;

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
