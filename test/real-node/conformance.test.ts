// The fake cluster follows the real node: each conformance case (conformance-cases.ts) sent in
// order to the fake, as OpenSearch 2.19.6 without the ISM plugin, and to the real node; what the
// exporter reads of each answer (conformance-project.ts) must be the same. A fake kinder than the
// real server is a bug: where they disagree, the fake is fixed (docs/real-search-node.md lists
// every difference found and its fix).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { request } from "undici";
import { startSearch } from "../../src/simulator/search/index.ts";
import { searchNodeUrl } from "../helpers/search-node.ts";
import { CASES, encode, type Step, substitute } from "./conformance-cases.ts";
import { project } from "./conformance-project.ts";

async function send(base: string, names: Record<string, string>, step: Step): Promise<unknown> {
  const { body, headers } = encode(step, names);
  const answer = await request(`${base}${substitute(step.path, names)}`, {
    method: step.method as "GET",
    body,
    headers,
  });
  return project(answer.statusCode, await answer.body.text(), names);
}

describe("the fake cluster answers as a real OpenSearch node does", () => {
  for (const conformance of CASES) {
    it(conformance.name, async (t) => {
      const real = await searchNodeUrl();
      const version = (
        (await (await request(`${real}/`)).body.json()) as { version: { number: string } }
      ).version.number;
      const fake = await startSearch({ product: "opensearch", version, ism: false });
      t.after(() => fake.close());
      const hex = randomBytes(4).toString("hex");
      const names = {
        ds: `logs-conformance.${hex}-default`,
        dsfamily: `logs-conformance.${hex}-*`,
        p: `conformance-${hex}`,
      };
      for (const step of conformance.given ?? []) {
        await send(fake.url, names, step);
        await send(real, names, step);
      }
      for (const step of conformance.steps) {
        const [fromFake, fromNode] = [
          await send(fake.url, names, step),
          await send(real, names, step),
        ];
        assert.deepEqual(
          fromFake,
          fromNode,
          `${step.method} ${step.path}: the fake (actual) and the node (expected) differ`,
        );
      }
    });
  }
});
