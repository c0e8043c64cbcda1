// The runner reports what it does through its observer ports (src/ports/observers.ts) and knows
// nothing of who listens: no import from web/, no prom-client object. The metrics implement the
// ports (src/metrics/prometheus.ts); the web only serves their text.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { brokenRules, readGraph } from "../scripts/import-graph.ts";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

describe("the runner's seams", () => {
  it("the runner imports nothing from web/", () => {
    const graph = readGraph(SRC);
    assert.ok(!brokenRules(graph).includes("the runner imports from web/"));
    const fromRunner = [...graph.fileArrows].filter(([file]) => file.startsWith("runner"));
    for (const [file, targets] of fromRunner) {
      for (const target of targets)
        assert.ok(!target.startsWith("web"), `${file} imports ${target}`);
    }
  });

  it("no runner file touches prom-client, and the web does not own the metrics", () => {
    for (const name of readdirSync(join(SRC, "runner"))) {
      const text = readFileSync(join(SRC, "runner", name), "utf8");
      assert.doesNotMatch(text, /from "prom-client"/, `runner/${name}`);
    }
    const graph = readGraph(SRC);
    for (const [file, targets] of graph.fileArrows) {
      if (!file.startsWith("web")) continue;
      for (const target of targets)
        assert.ok(!target.startsWith("metrics"), `${file} imports ${target}`);
    }
  });
});
