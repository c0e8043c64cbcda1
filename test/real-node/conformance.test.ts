// The fake cluster follows the real nodes: each conformance case (conformance-cases.ts) sent in
// order to the fake and to the real node of its product (scripts/search-node: OpenSearch 2.19.6
// without the ISM plugin; Elasticsearch 8.19.8's test distribution, security on), and what the
// exporter reads of each answer (conformance-project.ts) must be the same. A fake kinder than the
// real server is a bug: where they disagree, the fake is fixed (docs/real-search-node.md lists
// every difference found and its fix).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { request } from "undici";
import { type SearchOptions, startSearch } from "../../simulator/search/index.ts";
import {
  ELASTIC_ADMIN,
  ELASTIC_WRITER,
  type NodeProduct,
  searchNodeUrl,
} from "../helpers/search-node.ts";
import { CASES, type Case, encode, type Step, substitute } from "./conformance-cases.ts";
import { project } from "./conformance-project.ts";

/** Elasticsearch's version, pinned in scripts/search-node (its test distribution has no GET /). */
const VERSIONS: Record<NodeProduct, string> = { opensearch: "2.19.6", elasticsearch: "8.19.8" };

async function send(
  base: string,
  names: Record<string, string>,
  step: Step,
  auth: Record<string, string>,
): Promise<unknown> {
  const { body, headers } = encode(step, names);
  const answer = await request(`${base}${substitute(step.path, names)}`, {
    method: step.method as "GET",
    body,
    headers: { ...headers, ...auth },
  });
  return project(answer.statusCode, await answer.body.text(), names);
}

/** The node's version: OpenSearch says it (GET /); Elasticsearch's test distribution cannot. */
async function versionOf(product: NodeProduct, url: string): Promise<string> {
  if (product === "elasticsearch") return VERSIONS[product];
  const answer = await request(`${url}/`);
  return ((await answer.body.json()) as { version: { number: string } }).version.number;
}

function fakeOptions(product: NodeProduct, version: string, conformance: Case): SearchOptions {
  if (product === "opensearch") return { product, version, ism: false };
  const writer = conformance.user === "a2l-writer";
  const user = writer ? ELASTIC_WRITER : ELASTIC_ADMIN;
  return {
    product,
    version,
    basic: user,
    privileges: writer ? "write-only" : "all",
  };
}

function basic(product: NodeProduct, conformance: Case): Record<string, string> {
  if (product === "opensearch") return {};
  const { user, password } = conformance.user === "a2l-writer" ? ELASTIC_WRITER : ELASTIC_ADMIN;
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

for (const product of ["opensearch", "elasticsearch"] as const) {
  describe(`the fake cluster answers as a real ${product} node does`, () => {
    for (const conformance of CASES.filter((one) => (one.only ?? product) === product)) {
      it(conformance.name, async (t) => {
        const real = await searchNodeUrl(product);
        const version = await versionOf(product, real);
        const fake = await startSearch(fakeOptions(product, version, conformance));
        t.after(() => fake.close());
        const auth = basic(product, conformance);
        const hex = randomBytes(4).toString("hex");
        const names = {
          ds: `logs-conformance.${hex}-default`,
          dsfamily: `logs-conformance.${hex}-*`,
          p: `conformance-${hex}`,
        };
        const admin = basic(product, { name: "", steps: [] });
        for (const step of conformance.given ?? []) {
          await send(fake.url, names, step, auth);
          await send(real, names, step, admin);
        }
        for (const step of conformance.steps) {
          const fromFake = await send(fake.url, names, step, auth);
          const fromNode = await send(real, names, step, auth);
          assert.deepEqual(
            fromFake,
            fromNode,
            `${step.method} ${step.path}: the fake (actual) and the node (expected) differ`,
          );
        }
      });
    }
  });
}
