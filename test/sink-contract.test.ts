// The contract every sink keeps with the runner (test/helpers/sink-contract.ts), checked against
// each built-in sink and its fake, the Elasticsearch sink against a real OpenSearch node, and the
// Elasticsearch sink's partial answers.

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { startLogstash } from "../simulator/logstash.ts";
import { startSearch } from "../simulator/search/index.ts";
import { loadConfig } from "../src/config/load.ts";
import type { Sink } from "../src/interfaces.ts";
import { openSink } from "../src/sinks/index.ts";
import { createLogger } from "../src/util/logger.ts";
import { tempDir } from "./helpers/cli.ts";
import { faultProxy, idCounts, uniqueTarget } from "./helpers/search-node.ts";
import { batch, context, type SinkFixture, sinkContract } from "./helpers/sink-contract.ts";

const auth0 = {
  AUTH0_DOMAIN: "http://127.0.0.1:1",
  AUTH0_CLIENT_ID: "c",
  AUTH0_CLIENT_SECRET: "contract-secret",
  REQUEST_TIMEOUT: "2s",
};
const logger = createLogger({ level: "silent", human: false });

async function open(t: TestContext, env: Record<string, string>): Promise<Sink> {
  const sink = await openSink(loadConfig({ ...auth0, ...env }, { cwd: tempDir() }), { logger });
  t.after(() => sink.close());
  return sink;
}

const sinks: { name: string; start(t: TestContext): Promise<SinkFixture> }[] = [
  {
    name: "Logstash",
    async start(t) {
      const fake = await startLogstash();
      t.after(() => fake.close());
      const sink = await open(t, { LOGSTASH_URL: fake.url, LOGSTASH_INDEX: "contract" });
      return { sink, received: () => fake.idCounts(), failNext: (n) => fake.failNext("503", n) };
    },
  },
  {
    name: "Elasticsearch",
    async start(t) {
      const fake = await startSearch();
      t.after(() => fake.close());
      const sink = await open(t, { ELASTICSEARCH_URL: fake.url });
      return { sink, received: () => fake.idCounts(), failNext: (n) => fake.failNext("503", n) };
    },
  },
];

for (const { name, start } of sinks) sinkContract(name, start);

// The real thing (test/helpers/search-node.ts), a data stream of the test's own; whole requests
// fail at a proxy in front of it. Its target names the product once the sink has asked.
sinkContract(
  "Elasticsearch (real OpenSearch node)",
  async (t) => {
    const proxy = await faultProxy();
    t.after(() => proxy.close());
    const target = uniqueTarget("contract");
    const sink = await open(t, { ELASTICSEARCH_URL: proxy.url, ELASTICSEARCH_INDEX: target });
    return { sink, received: () => idCounts(target), failNext: (n) => proxy.failNext(n) };
  },
  /^Elasticsearch|^OpenSearch/,
);

describe("Elasticsearch sink contract: partial answers", () => {
  it("retries only the failed items and reports a refused document with the cluster's reason", async (t) => {
    const fake = await startSearch();
    t.after(() => fake.close());
    // A plain index with dynamic mapping: `details` an object first, a string later.
    const sink = await open(t, {
      ELASTICSEARCH_URL: fake.url,
      ELASTICSEARCH_INDEX: "auth0-contract",
      ELASTICSEARCH_SETUP: "off",
      DOCUMENT_FORMAT: "extension",
    });
    const first = batch(10);
    for (const [i, document] of first.documents.entries()) document.details = { n: i };
    await sink.send(first, context());
    const second = batch(10, 10);
    (second.documents[3] as Record<string, unknown>).details = "a string";
    fake.failNext("item-429");
    const ctx = context();
    const report = await sink.send(second, ctx);
    assert.equal(report.delivered, 9);
    assert.equal(report.rejected.length, 1);
    assert.equal(report.rejected[0]?.id, second.ids[3]);
    assert.equal(report.rejected[0]?.status, 400);
    assert.match(report.rejected[0]?.reason ?? "", /object mapping for \[details\]/);
    assert.equal(ctx.stats.retries.sink, 1, "one retry, of the failed items only");
    assert.ok([...fake.idCounts().values()].every((n) => n === 1));
  });
});
