// The contract every sink keeps with the runner, checked against each sink and its fake: a batch is
// answered with a report that accounts for every document (delivered, or rejected with a reason),
// failures worth retrying are retried with the shared backoff inside the execution's budget, and
// past it (or on abort) the sink throws instead of reporting anything partial.

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { loadConfig } from "../src/config/load.ts";
import { AbortedError, ExporterError } from "../src/errors.ts";
import type { Sink, SinkBatch } from "../src/interfaces.ts";
import { newStats } from "../src/runner/once.ts";
import { startLogstash } from "../src/simulator/logstash.ts";
import { startSearch } from "../src/simulator/search/index.ts";
import { openSink } from "../src/sinks/open.ts";
import { createLogger } from "../src/util/logger.ts";
import { newBudget } from "../src/util/retry.ts";
import { tempDir } from "./helpers/cli.ts";
import { faultProxy, idCounts, uniqueTarget } from "./helpers/search-node.ts";

interface Fixture {
  sink: Sink;
  /** How many times each id arrived (Logstash) or was indexed (a cluster). */
  received(): Promise<Map<string, number>>;
  /** The next request fails as a whole, in a way worth retrying. */
  failNext(count: number): void;
}

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

const sinks: { name: string; target: RegExp; start(t: TestContext): Promise<Fixture> }[] = [
  {
    name: "Logstash",
    target: /^Logstash/,
    async start(t) {
      const fake = await startLogstash();
      t.after(() => fake.close());
      const sink = await open(t, { LOGSTASH_URL: fake.url, LOGSTASH_INDEX: "contract" });
      return {
        sink,
        received: async () => fake.idCounts(),
        failNext: (n) => fake.failNext("503", n),
      };
    },
  },
  {
    name: "Elasticsearch",
    target: /^Elasticsearch/,
    async start(t) {
      const fake = await startSearch();
      t.after(() => fake.close());
      const sink = await open(t, { ELASTICSEARCH_URL: fake.url });
      return {
        sink,
        received: async () => fake.idCounts(),
        failNext: (n) => fake.failNext("503", n),
      };
    },
  },
  {
    // The real thing (test/helpers/search-node.ts), a data stream of the test's own; whole
    // requests fail at a proxy in front of it.
    name: "Elasticsearch (real OpenSearch node)",
    target: /^Elasticsearch|^OpenSearch/,
    async start(t) {
      const proxy = await faultProxy();
      t.after(() => proxy.close());
      const target = uniqueTarget("contract");
      const sink = await open(t, { ELASTICSEARCH_URL: proxy.url, ELASTICSEARCH_INDEX: target });
      return { sink, received: () => idCounts(target), failNext: (n) => proxy.failNext(n) };
    },
  },
];

function batch(size: number, from = 0): SinkBatch {
  const ids = Array.from(
    { length: size },
    (_, i) => `9002026112410000${String(from + i).padStart(40, "0")}`,
  );
  const documents = ids.map((id, i) => ({
    log_id: id,
    date: new Date(Date.UTC(2026, 10, 24, 10, 0, i)).toISOString(),
    type: "s",
    description: "Successful login",
  }));
  return { documents, ids };
}

const context = (budgetMs = 10_000, signal?: AbortSignal) => ({
  budget: newBudget(budgetMs),
  stats: newStats(),
  signal,
});

for (const { name, target, start } of sinks) {
  describe(`${name} sink contract`, () => {
    it("accounts for every document of a batch, each delivered once", async (t) => {
      const f = await start(t);
      const report = await f.sink.send(batch(50), context());
      assert.equal(report.delivered + report.rejected.length, 50);
      assert.equal(report.delivered, 50);
      const received = await f.received();
      assert.equal(received.size, 50);
      assert.ok([...received.values()].every((n) => n === 1));
    });

    it("retries a failed request with the shared backoff and counts the retry", async (t) => {
      const f = await start(t);
      f.failNext(2);
      const ctx = context();
      const report = await f.sink.send(batch(20), ctx);
      assert.equal(report.delivered, 20);
      assert.equal(ctx.stats.retries.sink, 2);
    });

    it("throws once retries would outlast the budget, reporting nothing", async (t) => {
      const f = await start(t);
      f.failNext(100);
      await assert.rejects(f.sink.send(batch(10), context(0)), (error: unknown) => {
        assert.ok(error instanceof ExporterError);
        assert.match(error.message, /gave up after retrying/);
        return true;
      });
    });

    it("stops when the execution is abandoned", async (t) => {
      const f = await start(t);
      f.failNext(100);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(
        f.sink.send(batch(10), context(60_000, controller.signal)),
        AbortedError,
      );
    });

    it("checks reachability and credentials without writing a document", async (t) => {
      const f = await start(t);
      const detail = await f.sink.check(context());
      assert.equal(typeof detail, "string");
      assert.equal((await f.received()).size, 0);
    });

    it("says where it writes without credentials", async (t) => {
      const f = await start(t);
      assert.match(f.sink.info.target, target);
      assert.doesNotMatch(f.sink.info.target, /contract-secret|@/);
    });
  });
}

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
