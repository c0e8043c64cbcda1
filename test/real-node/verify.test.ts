// `verify` and `--repair` against a real OpenSearch node: documents deleted behind the sink's back
// (each from its backing index) are found exactly, with LOG_TYPES leaving others out, in both document
// formats; the repair indexes each once, and a second verify exits 0.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { idCounts, node, searchNodeUrl, uniqueTarget } from "../helpers/search-node.ts";
import { world } from "../helpers/world.ts";

describe("verify against a real OpenSearch node", () => {
  for (const format of ["ecs", "extension"] as const) {
    it(`${format} documents: the deleted ones found exactly, repaired once each`, async (t) => {
      const cluster = await searchNodeUrl();
      const target = uniqueTarget(`verify${format}`);
      const w = await world(t, {
        tenant: { backlog: 400 },
        cluster,
        env: { ELASTICSEARCH_INDEX: target, DOCUMENT_FORMAT: format, LOG_TYPES: "s,f,fp,slo" },
      });
      assert.equal((await w.once()).code, 0);
      const indexed = [...(await idCounts(target)).keys()].sort();
      assert.ok(
        indexed.length > 100 && indexed.length < w.tenant.log.size,
        "the filters left some out",
      );
      const removed = indexed.filter((_, i) => i % 37 === 5);
      // The test node has no reindex module (each from its backing index): each document from its index.
      const hits = await node("POST", `/${target}/_search`, {
        size: removed.length,
        _source: false,
        query: { ids: { values: removed } },
      });
      for (const hit of (hits.json.hits as { hits: { _index: string; _id: string }[] }).hits) {
        const deleted = await node("DELETE", `/${hit._index}/_doc/${hit._id}`);
        assert.equal(deleted.status, 200, deleted.text);
      }
      await node("POST", `/${target}/_refresh`);

      const first = await runCli(["verify", "--since", "2h", "--json"], w.env, w.dir);
      assert.equal(first.code, 1, first.stderr);
      const found = JSON.parse(first.stdout) as {
        missing: string[];
        totals: { present: number; missing: number };
      };
      assert.deepEqual(found.missing, removed);
      assert.equal(found.totals.present, indexed.length - removed.length);

      const repair = await runCli(["verify", "--since", "2h", "--repair"], w.env, w.dir);
      assert.equal(repair.code, 0, repair.stdout + repair.stderr);
      assert.match(
        repair.stdout,
        new RegExp(`re-sent ${removed.length} events; every one is in the index now`),
      );
      const counts = await idCounts(target);
      assert.deepEqual(
        [...counts].filter(([, n]) => n > 1),
        [],
        "none twice",
      );
      assert.equal(counts.size, indexed.length);

      const second = await runCli(["verify", "--since", "2h"], w.env, w.dir);
      assert.equal(second.code, 0, second.stdout + second.stderr);
    });
  }
});
