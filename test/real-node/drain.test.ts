// The exporter into a real OpenSearch node, with our templates: a tenant as varied as real ones
// (details whose JSON types differ, fields that are objects in one event and strings in another,
// location_info with string coordinates, all 185 log types and unknown ones) drained in each
// document format, every event indexed once and none refused for its shape; a replay indexes
// nothing twice (the node's 409s are delivered).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.ts";
import {
  countOf,
  idCounts,
  searchNodeUrl,
  sourceOf,
  uniqueTarget,
} from "../helpers/search-node.ts";
import { tenantEvents } from "../helpers/variations.ts";
import { world } from "../helpers/world.ts";

async function variedWorld(t: Parameters<typeof world>[0], label: string, env = {}) {
  const cluster = await searchNodeUrl();
  const target = uniqueTarget(label);
  const w = await world(t, {
    tenant: { backlog: 300, variedDetails: true },
    cluster,
    env: { ELASTICSEARCH_INDEX: target, ...env },
  });
  for (const event of tenantEvents(300)) w.tenant.addEvent(event);
  return { w, target };
}

/** Every event of the tenant indexed exactly once, and nothing else. */
async function assertIndexedOnce(target: string, ids: string[]) {
  const counts = await idCounts(target);
  assert.deepEqual(
    ids.filter((id) => !counts.has(id)),
    [],
    "every event indexed",
  );
  assert.deepEqual(
    [...counts].filter(([, n]) => n > 1),
    [],
    "none twice",
  );
  assert.equal(counts.size, ids.length, "nothing else");
  assert.equal(await countOf(target), ids.length, "_count equals the events");
}

describe("a varied tenant into a real OpenSearch", () => {
  for (const format of ["ecs", "extension", "log-streams"] as const) {
    it(`${format} documents: every event indexed once, none refused for its shape`, async (t) => {
      const { w, target } = await variedWorld(t, `drain${format.replace("-", "")}`, {
        DOCUMENT_FORMAT: format,
      });
      const result = await w.once();
      assert.equal(result.code, 0, result.stderr);
      const [run] = (await w.stored()).runs;
      assert.equal(run?.rejected, 0, "no dead letter");
      assert.equal(run?.sent, w.tenant.log.size);
      await assertIndexedOnce(target, w.tenant.eventIds());
      const id = w.tenant.eventIds()[10] as string;
      const document = await sourceOf(target, id);
      if (format === "ecs") {
        assert.equal((document.event as { id: string }).id, id);
      } else {
        const event = (format === "log-streams" ? document.data : document) as { log_id: string };
        assert.equal(event.log_id, id);
      }
    });
  }

  it("a replay sends everything again and indexes nothing twice (the node's 409s are delivered)", async (t) => {
    const { w, target } = await variedWorld(t, "replay");
    assert.equal((await w.once()).code, 0);
    const first = w.tenant.eventIds()[0] as string;
    assert.equal((await runCli(["replay", "--from", first], w.env, w.dir)).code, 0);
    const again = await w.once();
    assert.equal(again.code, 0, again.stderr);
    const [run] = (await w.stored()).runs;
    assert.equal(run?.sent, w.tenant.log.size - 1, "the re-sent documents count as delivered");
    assert.equal(run?.rejected, 0);
    await assertIndexedOnce(target, w.tenant.eventIds());
  });
});
