// A tenant's health at a glance: one state from what status already knows, worst first.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runsTable } from "../src/cli/runs-table.ts";
import { NO_COUNTS, type RunRecord } from "../src/interfaces.ts";
import {
  caughtUpAt,
  type HealthInput,
  needsAttention,
  tenantHealth,
  worstHealth,
} from "../src/runner/health.ts";
import { failuresInARow } from "../src/runner/job-actions.ts";

const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function run(fields: Partial<RunRecord>): RunRecord {
  return {
    ...NO_COUNTS,
    id: 1,
    trigger: "schedule",
    startedAt: ago(MIN),
    endedAt: ago(MIN - 1000),
    outcome: "success",
    retries: 0,
    firstCheckpoint: null,
    lastCheckpoint: null,
    warnings: [],
    error: null,
    holder: null,
    epoch: null,
    committedEpochs: null,
    ...fields,
  };
}

/** A tenant exporting every 5 minutes, caught up a minute ago, its newest event 2 minutes old. */
const healthy: HealthInput = {
  enabled: true,
  checkpointTime: ago(2 * MIN),
  checkpointProblem: null,
  consecutiveFailures: 0,
  lastRun: run({}),
  deadLetters: { pending: 0 },
  caughtUpAt: ago(MIN),
};
// The defaults: STALE_AFTER 24h, AUTH0_LOG_RETENTION 1d, SCHEDULE 5m.
const limits = { staleAfterMs: 24 * HOUR, retentionMs: 24 * HOUR, schedule: "5m" };

describe("tenant health", () => {
  const cases: [string, Partial<HealthInput>, string, RegExp?][] = [
    ["caught up a minute ago", {}, "ok"],
    [
      "a quiet tenant: old checkpoint, caught up a minute ago",
      { checkpointTime: ago(20 * HOUR) },
      "ok",
    ],
    [
      "no execution yet, no checkpoint",
      { checkpointTime: null, caughtUpAt: null, lastRun: null },
      "ok",
    ],
    ["an execution running now", { lastRun: run({ outcome: "running", endedAt: null }) }, "ok"],
    [
      "behind more than three SCHEDULE periods",
      { checkpointTime: ago(16 * MIN), caughtUpAt: ago(16 * MIN) },
      "lagging",
      /16m 00s behind, over 3 SCHEDULE periods \(15m 00s\)/,
    ],
    [
      "the last execution failed",
      { consecutiveFailures: 1, lastRun: run({ outcome: "failed" }) },
      "failing",
      /the last execution failed/,
    ],
    [
      "a failure stays visible while the retry runs",
      { consecutiveFailures: 3, lastRun: run({ outcome: "running", endedAt: null }) },
      "failing",
      /the last 3 executions failed/,
    ],
    [
      "a verification that found events missing",
      { lastRun: run({ trigger: "verify", outcome: "failed" }) },
      "failing",
      /the last verification found events missing from the index/,
    ],
    [
      "a checkpoint that cannot be read from",
      { checkpointProblem: "a time in the future", checkpointTime: null },
      "failing",
      /cannot be read from: a time in the future/,
    ],
    [
      "behind more than half of AUTH0_LOG_RETENTION",
      { checkpointTime: ago(13 * HOUR), caughtUpAt: ago(13 * HOUR) },
      "at-risk",
      /13h 00m behind, over half of AUTH0_LOG_RETENTION/,
    ],
    [
      "at risk wins over failing, and both are said",
      {
        checkpointTime: ago(13 * HOUR),
        caughtUpAt: null,
        consecutiveFailures: 40,
        lastRun: run({ outcome: "failed" }),
      },
      "at-risk",
      /AUTH0_LOG_RETENTION.*\n.*the last 40 executions failed/,
    ],
    [
      "a success that dead-lettered documents, still waiting",
      { lastRun: run({ rejected: 2 }), deadLetters: { pending: 2 } },
      "dead-letters",
      /dead-lettered 2 document\(s\); 2 waiting/,
    ],
    [
      "dead letters re-sent since: a green success again",
      { lastRun: run({ rejected: 2 }), deadLetters: { pending: 0 } },
      "ok",
    ],
    [
      "disabled, whatever else",
      { enabled: false, consecutiveFailures: 2, checkpointTime: ago(13 * HOUR), caughtUpAt: null },
      "disabled",
      /no executions until enabled\n13h 00m behind/,
    ],
  ];
  for (const [name, change, state, reasons] of cases) {
    it(`${name}: ${state}`, () => {
      const health = tenantHealth({ ...healthy, ...change }, limits, NOW);
      assert.equal(health.state, state);
      if (reasons) assert.match(health.reasons.join("\n"), reasons);
      if (state === "ok") assert.deepEqual(health.reasons, []);
    });
  }

  it("lagging from STALE_AFTER when it is shorter than three periods", () => {
    const daily = { ...limits, schedule: "0 3 * * *", staleAfterMs: 6 * HOUR };
    const late = { ...healthy, checkpointTime: ago(7 * HOUR), caughtUpAt: ago(7 * HOUR) };
    const health = tenantHealth(late, { ...daily, retentionMs: 30 * 24 * HOUR }, NOW);
    assert.equal(health.state, "lagging");
    assert.match(health.reasons[0] ?? "", /over STALE_AFTER \(6h 00m\)/);
  });

  it("labels read as words; failing and at risk need attention, the others do not", () => {
    const label = (change: Partial<HealthInput>) =>
      tenantHealth({ ...healthy, ...change }, limits, NOW);
    const risk = label({ checkpointTime: ago(13 * HOUR), caughtUpAt: null });
    assert.equal(risk.label, "retention at risk");
    assert.equal(needsAttention(risk), true);
    assert.equal(needsAttention(label({ consecutiveFailures: 1 })), true);
    const lagging = label({ checkpointTime: ago(HOUR), caughtUpAt: null });
    assert.equal(needsAttention(lagging), false);
    assert.equal(needsAttention(label({ enabled: false })), false);
  });

  it("the header shows the worst; disabled tenants only when all are", () => {
    assert.equal(worstHealth(["ok", "lagging", "failing"]), "failing");
    assert.equal(worstHealth(["failing", "at-risk"]), "at-risk");
    assert.equal(worstHealth(["disabled", "ok"]), "ok");
    assert.equal(worstHealth(["disabled"]), "disabled");
    assert.equal(worstHealth([]), "ok");
  });

  it("failures in a row count executions: a verification or replay between them hides none", () => {
    const failed = run({ outcome: "failed" });
    const runs = [
      failed,
      run({ trigger: "verify", outcome: "success" }),
      run({ outcome: "skipped" }),
      failed,
      run({ trigger: "replay" }),
      failed,
      run({ outcome: "success" }),
      failed,
    ];
    assert.equal(failuresInARow(runs), 3);
    assert.equal(failuresInARow([run({ trigger: "verify", outcome: "failed" })]), 0);
  });

  it("caught up: the newest execution's success; a newer replay or none says nothing", () => {
    const success = run({ endedAt: ago(MIN) });
    assert.equal(caughtUpAt([run({ outcome: "skipped" }), success]), ago(MIN));
    assert.equal(caughtUpAt([run({ trigger: "replay" }), success]), null);
    assert.equal(caughtUpAt([run({ trigger: "verify" })]), null);
    assert.equal(caughtUpAt([]), null);
  });
});

describe("the runs table", () => {
  it("a run that dead-lettered documents is 'success with dead letters', not a plain success", () => {
    const table = runsTable([run({ id: 2, rejected: 3, sent: 7 }), run({ id: 1, sent: 10 })]);
    assert.match(table, /^2 +schedule +success with dead letters /m);
    assert.match(table, /^1 +schedule +success /m);
  });

  it("a skipped tick says why in the note, not as a warning", () => {
    const skipped = run({
      outcome: "skipped",
      warnings: ["the previous execution was still running"],
    });
    const table = runsTable([skipped]);
    assert.match(table, /skipped .* the previous execution was still running$/m);
    assert.doesNotMatch(table, /warning/);
  });
});
