// Readiness as the lease rounds saw it (GET /readyz): never a wait on the store. Not ready while
// the last round failed, while no round has ended for longer than a lease lasts, or while a
// configured tenant has been held by no replica for longer than a hand-over takes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RoundWatch } from "../src/runner/readiness.ts";

const LIMITS = { roundMs: 2_000, overdueMs: 15_000, unheldMs: 6_000 };
const a = (here: boolean) => ({ id: "a", here });
const b = (here: boolean) => ({ id: "b", here });

describe("readiness from the lease rounds", () => {
  it("is ready when the last round succeeded and every tenant is held, here or elsewhere", () => {
    const watch = new RoundWatch(LIMITS, 0);
    watch.ended(null, [a(true), b(false)], ["b"], 1_000);
    assert.deepEqual(watch.problems([a(true), b(false)], 10_000), []);
  });

  it("is not ready, saying why, from a failed round until one succeeds", () => {
    const watch = new RoundWatch(LIMITS, 0);
    watch.ended("the store did not answer within 5s (DATABASE_TIMEOUT)", [a(true)], null, 1_000);
    assert.deepEqual(watch.problems([a(true)], 1_500), [
      "store unreachable: the store did not answer within 5s (DATABASE_TIMEOUT)",
    ]);
    watch.ended(null, [a(true)], [], 3_000);
    assert.deepEqual(watch.problems([a(true)], 3_500), []);
  });

  it("is not ready once no round has ended for longer than a lease lasts (rounds stuck)", () => {
    const watch = new RoundWatch(LIMITS, 0);
    watch.ended(null, [a(true)], [], 1_000);
    assert.deepEqual(watch.problems([a(true)], 16_000), []);
    const [problem, ...more] = watch.problems([a(true)], 16_500);
    assert.match(problem ?? "", /^no lease round has ended for 16s \(one is due every 2s\)/);
    assert.deepEqual(more, []);
    // And from its start, before any round ended.
    assert.equal(new RoundWatch(LIMITS, 0).problems([a(true)], 15_500).length, 1);
  });

  it("is not ready once a tenant has been held by no replica for longer than a hand-over takes", () => {
    const watch = new RoundWatch(LIMITS, 0);
    watch.ended(null, [a(true), b(false)], ["b"], 1_000);
    // b's holder is gone (its lease lapsed) and nobody here took it: a round or two is normal.
    watch.ended(null, [a(true), b(false)], [], 3_000);
    watch.ended(null, [a(true), b(false)], [], 5_000);
    assert.deepEqual(watch.problems([a(true), b(false)], 8_000), []);
    watch.ended(null, [a(true), b(false)], [], 9_100);
    assert.deepEqual(watch.problems([a(true), b(false)], 9_200), [
      "tenant b has been held by no replica for 6s: nothing exports it",
    ]);
    // Held here now: ready at once, before the next round.
    assert.deepEqual(watch.problems([a(true), b(true)], 9_300), []);
    // A lease lost here is noticed at the round after.
    const one = new RoundWatch(LIMITS, 0);
    one.ended(null, [{ id: "default", here: true }], [], 1_000);
    one.ended("the store could not be read", [{ id: "default", here: false }], null, 3_000);
    assert.deepEqual(one.problems([{ id: "default", here: false }], 9_500), [
      "store unreachable: the store could not be read",
      "the job has been held by no replica for 7s: nothing exports it",
    ]);
  });

  it("forgets a tenant removed from the configuration", () => {
    const watch = new RoundWatch(LIMITS, 0);
    watch.ended(null, [a(true), b(false)], [], 1_000);
    watch.ended(null, [a(true)], [], 3_000);
    assert.deepEqual(watch.problems([a(true)], 14_000), []);
  });
});
