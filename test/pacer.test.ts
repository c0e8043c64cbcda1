// The pacer against the simulator's bucket (simulator/bucket.ts) on a virtual clock: each plan's
// bucket drained for ten simulated minutes at several AUTH0_RATE_LIMIT_SHAREs, alone and with a
// second client spending the same bucket. Counts only, no wall clock: the contract of issue 20 is
// 0 × 429, 0 minutes under 20 %, the bucket never left under (1 - share) of its limit by us, and
// our own rate at most the share of the refill.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Bucket, type RateLimit } from "../simulator/bucket.ts";
import { floorOf, Pacer, parseRateLimit } from "../src/auth0/pacer.ts";

const PLANS: Record<string, RateLimit> = {
  "Essentials Read Logs": { burst: 10, perSecond: 100 / 60 },
  "Enterprise production": { burst: 50, perSecond: 16 },
  "Enterprise non-production": { burst: 10, perSecond: 2 },
  Free: { burst: 2, perSecond: 2 },
};

interface Drain {
  granted: number;
  refused: number;
  /** What the bucket allowed over the drain: its burst, then its refill. */
  allowance: number;
  warningMinutes: number;
  /** Times a read of ours left the bucket under its floor (in whole tokens, as reported). */
  underFloor: number;
  otherGranted: number;
  otherRefused: number;
}

/**
 * Reads as the source does (wait the pacer's delay, request, observe the answer) for `seconds`,
 * each answer `latencyMs` after its request; a second client takes a token every 1/otherPerSecond.
 */
function drain(
  limit: RateLimit,
  share: number,
  seconds: number,
  options: { otherPerSecond?: number; latencyMs?: number } = {},
): Drain {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const bucket = new Bucket(limit, clock);
  const pacer = new Pacer(share, clock);
  const end = now + seconds * 1000;
  // Answers take 20 to 50 ms, varying as a network's do (a fixed generator: the same run each time).
  let seed = 1;
  const latency = () => {
    seed = (seed * 48271) % 2147483647;
    return (options.latencyMs ?? 20) + (seed % 30);
  };
  const otherEvery = options.otherPerSecond ? 1000 / options.otherPerSecond : Infinity;
  let otherAt = now + otherEvery / 2;
  const result = { granted: 0, refused: 0, underFloor: 0, otherGranted: 0, otherRefused: 0 };
  const floor = floorOf(limit.burst, share);
  const advance = (to: number) => {
    while (otherAt <= to) {
      now = otherAt;
      if (bucket.take()) result.otherGranted++;
      else result.otherRefused++;
      otherAt += otherEvery;
    }
    now = to;
  };
  while (now < end) {
    advance(now + pacer.delay());
    const sentAt = now;
    const answerIn = latency();
    advance(now + answerIn / 2);
    const granted = bucket.take();
    const headers = parseRateLimit(bucket.headers());
    if (granted) result.granted++;
    else result.refused++;
    if (granted && Number(headers?.remaining) < floor) result.underFloor++;
    advance(now + answerIn / 2);
    pacer.observe(headers, granted, sentAt);
  }
  return {
    ...result,
    allowance: limit.burst + limit.perSecond * seconds,
    warningMinutes: bucket.warningMinutes.size,
  };
}

describe("the pacer takes its share of the bucket and no more (virtual clock)", () => {
  for (const [plan, limit] of Object.entries(PLANS)) {
    for (const share of [0.25, 0.5, 0.75, 1]) {
      // A bucket of 2 above 50 %: each read needs the bucket full, a full bucket read once tells
      // its refill only to the reset header's whole second, and reads at a steady pace see that
      // second at the same phase each time: the estimate stays coarse (never high), and the pacer
      // uses up to 15 points less than its share (61 % at 75 %, 94 % at 100 %).
      const slack = limit.burst <= 2 && share > 0.5 ? 0.15 : 0.05;
      it(`${plan} at ${share * 100} %: its share of the allowance, no 429, never under 20 %`, () => {
        const d = drain(limit, share, 600);
        const used = d.granted / d.allowance;
        assert.equal(d.refused, 0, "429s");
        assert.equal(d.warningMinutes, 0, "minutes under 20 %");
        assert.equal(d.underFloor, 0, "reads that left the bucket under its floor");
        assert.ok(used <= share + 0.01, `used ${(used * 100).toFixed(1)} % of the allowance`);
        // A bucket of 2 at 100 % keeps 1 token: 1 of the burst of 2 is not used, refill is.
        assert.ok(used >= share - slack, `used ${(used * 100).toFixed(1)} % of the allowance`);
      });
    }
  }

  // Together over the refill (70 % + 50 %, 50 % + 75 %): the bucket sinks to our floor, where the
  // pacer reads at the bucket's net gain (the other client's reads taken off) and what is left.
  for (const [share, other] of [
    [0.5, 0.3],
    [0.5, 0.7],
    [0.75, 0.5],
  ] as const) {
    it(`leaves room for a second client at ${other * 100} % of the refill when its share is ${share * 100} %`, () => {
      const limit = PLANS["Enterprise production"] as RateLimit;
      const d = drain(limit, share, 600, { otherPerSecond: other * limit.perSecond });
      assert.equal(d.refused, 0, "our 429s");
      assert.equal(d.otherRefused, 0, "the other client's 429s");
      assert.equal(d.warningMinutes, 0, "minutes under 20 %");
      assert.equal(d.underFloor, 0, "reads that left the bucket under its floor");
      const used = d.granted / d.allowance;
      assert.ok(used <= share + 0.01, `used ${(used * 100).toFixed(1)} % of the allowance`);
      // What the other client leaves, at most our share of it.
      assert.ok(
        used >= Math.min(share, 1 - other) - 0.05,
        `used ${(used * 100).toFixed(1)} % of the allowance`,
      );
    });
  }

  it("all but stops while another client alone keeps the bucket under the floor", () => {
    const limit = PLANS["Enterprise production"] as RateLimit;
    const d = drain(limit, 0.5, 600, { otherPerSecond: 1.2 * limit.perSecond });
    // The floor cannot hold: the other client alone spends more than the refill. What the pacer
    // promises then: under the floor it reads only to see whether the bucket recovered (once per
    // time the bucket takes to fill, or after a 429's back-off), a few % of what its share allows.
    const allowed = 0.5 * limit.perSecond * 600;
    assert.ok(d.granted + d.refused <= 0.1 * allowed, `${d.granted + d.refused} reads`);
  });

  it("a bucket of 2 is still read at 1 % (never left empty)", () => {
    const d = drain(PLANS.Free as RateLimit, 0.01, 600);
    assert.equal(d.refused, 0);
    assert.equal(d.warningMinutes, 0);
    assert.ok(d.granted > 0 && d.granted / d.allowance <= 0.02, `${d.granted} reads`);
  });

  it("the floor: (1 - share) of the limit, never under 20 %, in whole tokens", () => {
    assert.equal(floorOf(10, 0.5), 5);
    assert.equal(floorOf(10, 0.75), 3);
    assert.equal(floorOf(10, 0.7), 3);
    assert.equal(floorOf(10, 1), 2);
    assert.equal(floorOf(50, 1), 10);
    assert.equal(floorOf(2, 1), 1);
    assert.equal(floorOf(2, 0.01), 1);
    assert.equal(floorOf(1, 0.5), 0);
  });
});
