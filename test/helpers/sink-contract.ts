// The contract every sink keeps with the runner, as cases any sink can be run through: a batch is
// answered with a report that accounts for every document (delivered, or rejected with a reason),
// failures worth retrying are retried with the shared backoff inside the execution's budget, and
// past it (or on abort) the sink throws instead of reporting anything partial.

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { AbortedError, ExporterError } from "../../src/errors.ts";
import type { Sink, SinkBatch } from "../../src/interfaces.ts";
import { newStats } from "../../src/runner/once.ts";
import { newBudget } from "../../src/util/retry.ts";

export interface SinkFixture {
  sink: Sink;
  /** How many times each id arrived (Logstash) or was indexed (a cluster; a real one answers later). */
  received(): Map<string, number> | Promise<Map<string, number>>;
  /** The next request fails as a whole, in a way worth retrying. */
  failNext(count: number): void;
}

export function batch(size: number, from = 0): SinkBatch {
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

export const context = (budgetMs = 10_000, signal?: AbortSignal) => ({
  budget: newBudget(budgetMs),
  stats: newStats(),
  signal,
});

/**
 * The contract's cases for one sink, `name` as its target names it ("Logstash https://…", or as
 * `target` says), each case starting its own fixture: any sink module's, built-in or not
 * (test/sink-registry.test.ts), and a real cluster's (test/sink-contract.test.ts).
 */
export function sinkContract(
  name: string,
  start: (t: TestContext) => Promise<SinkFixture>,
  target = new RegExp(`^${name}`),
): void {
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
