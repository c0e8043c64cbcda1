// Refusals that only a real mapping produces: a data stream made from someone else's template
// (dynamic mappings, as OpenSearch has no built-in logs template), into which a varied tenant's
// events conflict (the first type seen for a field wins). The refused ones are kept as dead
// letters with the node's own reason while the rest is indexed and the checkpoint moves on; once
// setup put our template in place (rolling the data stream over), re-sending them indexes each
// exactly once.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { idCounts, node, searchNodeUrl, uniqueTarget } from "../helpers/search-node.ts";
import { tenantEvents } from "../helpers/variations.ts";
import { world } from "../helpers/world.ts";

describe("dead letters on a real OpenSearch", () => {
  it("documents the node's dynamic mapping refuses are kept with its reason, and indexed once re-sent after setup", async (t) => {
    const cluster = await searchNodeUrl();
    const target = uniqueTarget("deadletters");
    const theirs = `theirs-${target}`;
    const created = await node("PUT", `/_index_template/${theirs}`, {
      index_patterns: [target.replace(/-default$/, "-*")],
      data_stream: {},
      priority: 1,
    });
    assert.equal(created.status, 200, created.text);
    t.after(() => node("DELETE", `/_index_template/${theirs}`));
    const w = await world(t, {
      tenant: { backlog: 200, variedDetails: true },
      cluster,
      env: {
        ELASTICSEARCH_INDEX: target,
        ELASTICSEARCH_SETUP: "off",
        DOCUMENT_FORMAT: "extension",
      },
    });
    for (const event of tenantEvents(200)) w.tenant.addEvent(event);

    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    // Read after the run: the tenant logs the exporter's own token exchange too.
    const ids = w.tenant.eventIds();
    const { runs, checkpoint } = await w.stored();
    const rejected = runs[0]?.rejected ?? 0;
    assert.ok(rejected > 0, "the node refused some documents");
    assert.equal(checkpoint, ids.at(-1), "the checkpoint moved past them");
    const indexed = await idCounts(target);
    const missing = ids.filter((id) => !indexed.has(id));
    assert.equal(missing.length, rejected, "only the refused ones are missing");
    const list = await runCli(["dead-letters", "list", "--json", "--limit", "1000"], w.env, w.dir);
    const { counts, deadLetters } = JSON.parse(list.stdout) as {
      counts: { pending: number };
      deadLetters: { logId: string; status: number; reason: string }[];
    };
    assert.equal(counts.pending, rejected);
    assert.deepEqual(deadLetters.map((d) => d.logId).sort(), missing.sort());
    for (const letter of deadLetters) {
      assert.equal(letter.status, 400);
      assert.match(letter.reason, /mapper_parsing_exception|illegal_argument_exception/);
    }

    const early = await runCli(["dead-letters", "retry", "--all"], w.env, w.dir);
    // Still refused while the cause stays. Not all of them, always: two bulks in flight may race
    // to map a new field, and one refused that way can fit the mapping that won.
    assert.equal(early.code, 1, "still refused while the cause stays");
    const [, delivered = "", refused = ""] =
      /Re-sent \d+: (\d+) delivered, (\d+) refused again/.exec(early.stdout) ?? [];
    assert.ok(Number(refused) > 0, early.stdout);

    const setup = await runCli(["setup"], w.env, w.dir);
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    assert.match(setup.stdout, new RegExp(`data stream +${target} +rolled over`));
    const retry = await runCli(["dead-letters", "retry", "--all"], w.env, w.dir);
    assert.equal(retry.code, 0, retry.stdout + retry.stderr);
    assert.match(retry.stdout, new RegExp(`${rejected - Number(delivered)} delivered, 0 refused`));
    const after = await idCounts(target);
    assert.deepEqual(
      ids.filter((id) => after.get(id) !== 1),
      [],
      "every event indexed exactly once",
    );
    assert.equal(after.size, ids.length);
    const left = JSON.parse((await runCli(["dead-letters", "--json"], w.env, w.dir)).stdout);
    assert.equal(left.counts.pending, 0);
    assert.equal(left.counts.resolved, rejected);
  });
});

describe("an event OpenSearch cannot index as it is", () => {
  it("a string over 32 766 bytes in details (flat_object has no ignore_above): kept as a dead letter with the node's reason, the rest indexed (open defect, docs/real-search-node.md)", async (t) => {
    const cluster = await searchNodeUrl();
    const target = uniqueTarget("immense");
    const w = await world(t, {
      tenant: { backlog: 20 },
      cluster,
      env: { ELASTICSEARCH_INDEX: target },
    });
    const big = w.tenant.addEvent({
      type: "sapi",
      description: "Update a rule",
      details: { request: { body: { script: `function rule() {${" ".repeat(40_000)}}` } } },
    });
    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    const ids = w.tenant.eventIds();
    const { runs, checkpoint } = await w.stored();
    assert.equal(runs[0]?.rejected, 1);
    assert.equal(checkpoint, ids.at(-1));
    const indexed = await idCounts(target);
    assert.deepEqual(
      ids.filter((id) => !indexed.has(id)),
      [big],
    );
    const list = await runCli(["dead-letters", "list", "--json"], w.env, w.dir);
    const [letter] = (
      JSON.parse(list.stdout) as { deadLetters: { logId: string; reason: string }[] }
    ).deadLetters;
    assert.equal(letter?.logId, big);
    assert.match(
      letter?.reason ?? "",
      /immense term in field="auth0\.logs\.data\.details\._value"/,
    );
  });
});
