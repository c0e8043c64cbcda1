// Refusals that only a real mapping produces: a data stream made from someone else's template
// (dynamic mappings, as OpenSearch has no built-in logs template), into which a varied tenant's
// events conflict (the first type seen for a field wins). The refused ones are kept as dead
// letters with the node's own reason while the rest is indexed and the checkpoint moves on; once
// setup put our template in place (rolling the data stream over), re-sending them indexes each
// exactly once.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { idCounts, node, searchNodeUrl, sourceOf, uniqueTarget } from "../helpers/search-node.ts";
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
  // flat_object has no ignore_above: a leaf over 32 766 bytes (less the field's name, for its doc
  // values) once made the node refuse the event ("immense term"), kept as a dead letter. Now the
  // sink cuts such leaves in the indexed copy and keeps the event whole, unindexed, beside it.
  for (const format of ["ecs", "extension", "log-streams"] as const) {
    it(`${format}: leaves over 32 766 bytes in every flat_object field are cut to fit, the event indexed, whole in the original`, async (t) => {
      const cluster = await searchNodeUrl();
      const target = uniqueTarget("immense");
      const w = await world(t, {
        tenant: { backlog: 20 },
        cluster,
        env: { ELASTICSEARCH_INDEX: target, DOCUMENT_FORMAT: format },
      });
      // Every flat_object field (security_context: our longest name), multi-byte characters and
      // surrogate pairs where the cut falls, an array, and a key too long to index with any value.
      const fields = {
        details: {
          request: { body: { script: `function rule() {${" ".repeat(40_000)}}`, name: "r" } },
        },
        location_info: { city_name: "é".repeat(20_000) },
        security_context: { ja3: `a${"😀".repeat(9_000)}` },
        $event_schema: { version: ["1", "€".repeat(12_000)], ["k".repeat(33_000)]: "v" },
      };
      const big = w.tenant.addEvent({ type: "sapi", description: "Update a rule", ...fields });
      const result = await w.once();
      assert.equal(result.code, 0, result.stderr);
      const ids = w.tenant.eventIds();
      const { runs, checkpoint } = await w.stored();
      assert.equal(runs[0]?.rejected, 0, "nothing refused");
      assert.equal(checkpoint, ids.at(-1));
      const indexed = await idCounts(target);
      assert.deepEqual(
        ids.filter((id) => indexed.get(id) !== 1),
        [],
        "every event indexed once",
      );
      const source = await sourceOf(target, big);
      const event = (
        format === "ecs"
          ? (source.auth0 as { logs: Record<string, unknown> }).logs.data
          : format === "log-streams"
            ? source.data
            : source
      ) as typeof fields;
      const original = JSON.parse(
        (format === "ecs"
          ? (source.event as { original: string }).original
          : source.event_original) as string,
      ) as typeof fields;
      for (const [name, value] of Object.entries(fields)) {
        assert.deepEqual(original[name as keyof typeof fields], value, `${name} whole`);
      }
      assert.equal(event.details.request.body.name, "r");
      assert.ok(event.details.request.body.script.length < 32_766);
      const named =
        format === "ecs"
          ? (source.auth0 as { logs: { truncated_fields: string[] } }).logs.truncated_fields
          : (source.truncated_fields as string[]);
      const key = "k".repeat(33_000);
      assert.deepEqual(named.map((path) => path.replace(key, "<33 000 k>")).sort(), [
        "$event_schema.<33 000 k>",
        "$event_schema.version",
        "details.request.body.script",
        "location_info.city_name",
        "security_context.ja3",
      ]);
      // The cut copy is what is searched; the original is not indexed.
      const found = await node("POST", `/${target}/_count`, {
        query: {
          term: {
            [format === "ecs" ? "auth0.logs.truncated_fields" : "truncated_fields"]:
              "details.request.body.script",
          },
        },
      });
      assert.equal(found.json.count, 1, found.text);
    });
  }
});
