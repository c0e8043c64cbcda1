import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Bucket } from "../simulator/bucket.ts";
import {
  checkpointAt,
  checkpointProblem,
  isCheckpoint,
  timeOfCheckpoint,
} from "../src/auth0/checkpoint.ts";
import { Pacer, parseRateLimit } from "../src/auth0/pacer.ts";
import { nextLink, validatePage } from "../src/auth0/source.ts";
import {
  credentialsFingerprint,
  fingerprintMatches,
  tokenLifeSeconds,
  usableUntil,
} from "../src/auth0/token.ts";
import { SourceError } from "../src/errors.ts";

const id = (n: number) => `90020261124100000${String(n).padStart(39, "0")}`;

describe("checkpoint ids", () => {
  it("synthesizes a 56-digit id from a time, and reads the time back", () => {
    const time = new Date("2026-11-23T08:30:05Z");
    const checkpoint = checkpointAt(time);
    assert.equal(checkpoint.length, 56);
    assert.ok(isCheckpoint(checkpoint));
    assert.equal(timeOfCheckpoint(checkpoint)?.toISOString(), "2026-11-23T08:30:05.000Z");
  });

  it("rejects ids of the wrong length or with an impossible time", () => {
    assert.equal(isCheckpoint("123"), false);
    assert.equal(isCheckpoint(`900${"20261340000000"}${"0".repeat(39)}`), false);
    assert.equal(isCheckpoint(`a${id(1).slice(1)}`), false);
  });

  it("one rule for any value that could become a checkpoint: Auth0's form, a real time, not ahead", () => {
    const now = Date.parse("2026-11-24T10:00:00Z");
    const at = (stamp: string, prefix = "900") => `${prefix}${stamp}${"7".repeat(39)}`;
    assert.equal(checkpointProblem(at("20261124100000"), now), null);
    assert.equal(checkpointProblem(at("20261124100459"), now), null, "within the clock skew");
    assert.match(String(checkpointProblem(at("20261124100501"), now)), /in the future/);
    assert.match(String(checkpointProblem(at("99991231235959"), now)), /in the future/);
    assert.match(String(checkpointProblem(at("20261324100000"), now)), /not a valid time/);
    // Another prefix sorts after (or before) every id Auth0 assigns.
    assert.match(
      String(checkpointProblem(at("20261124100000", "901"), now)),
      /not an Auth0 log id/,
    );
    for (const value of [undefined, null, 900, {}, ""]) {
      assert.match(String(checkpointProblem(value, now)), /not an Auth0 log id/);
    }
  });
});

describe("Link header", () => {
  it("finds the next URL among several relations", () => {
    const header =
      '<https://t.auth0.com/api/v2/logs?from=1&take=100>; rel="prev", <https://t.auth0.com/api/v2/logs?from=2&take=100>; rel="next"';
    assert.equal(nextLink(header), "https://t.auth0.com/api/v2/logs?from=2&take=100");
  });

  it("returns null without a next relation", () => {
    assert.equal(nextLink(undefined), null);
    assert.equal(nextLink('<https://x/>; rel="prev"'), null);
  });
});

describe("page validation", () => {
  it("accepts ascending events newer than the checkpoint", () => {
    const events = validatePage([{ log_id: id(2) }, { log_id: id(3) }], id(1));
    assert.equal(events.length, 2);
  });

  const bad: [string, unknown][] = [
    ["an object instead of an array", { logs: [] }],
    ["an event without log_id", [{ type: "s" }]],
    ["a log_id that is not 56 digits", [{ log_id: "abc" }]],
    ["ids out of order", [{ log_id: id(3) }, { log_id: id(2) }]],
    ["an id not newer than the checkpoint", [{ log_id: id(1) }]],
    ["a duplicate id", [{ log_id: id(2) }, { log_id: id(2) }]],
    ["null elements", [null]],
  ];
  for (const [name, body] of bad) {
    it(`rejects ${name}, without retrying`, () => {
      assert.throws(
        () => validatePage(body, id(1)),
        (error: SourceError) => error instanceof SourceError && !error.retryable,
      );
    });
  }

  // One such id as the last of a page became the checkpoint: every later read came back empty.
  const skipping: [string, string, RegExp][] = [
    ["a time in year 9999", `900${"99991231235959"}${"0".repeat(39)}`, /in the future/],
    ["a time 10 minutes ahead", `900${"20261124101000"}${"0".repeat(39)}`, /in the future/],
    ["month 13", `900${"20261324100000"}${"0".repeat(39)}`, /not a valid time/],
    ["another prefix", `901${"20261124100000"}${"0".repeat(39)}`, /not an Auth0 log id/],
  ];
  for (const [name, bad, reason] of skipping) {
    it(`refuses the whole page for one id with ${name}, naming the endpoint and the id`, () => {
      const now = Date.parse("2026-11-24T10:00:30Z");
      const body = [{ log_id: id(2) }, { log_id: id(3) }, { log_id: bad }];
      assert.throws(
        () => validatePage(body, id(1), now),
        (error: SourceError) => {
          assert.ok(error instanceof SourceError && !error.retryable);
          assert.match(error.message, /^Auth0 logs endpoint \(GET \/api\/v2\/logs\)/);
          assert.ok(error.message.includes(`log_id ${bad}`), error.message);
          assert.match(error.message, reason);
          assert.match(error.message, /nothing of this page was committed/);
          return true;
        },
      );
    });
  }

  it("shows a malformed id escaped and cut, never as sent", () => {
    const bad = `\u001b[31m${"9".repeat(500)}`;
    assert.throws(
      () => validatePage([{ log_id: bad }], id(1)),
      (error: SourceError) => {
        assert.ok(!error.message.includes("\u001b"));
        assert.ok(error.message.length < 400, error.message);
        return true;
      },
    );
  });
});

describe("the token cache", () => {
  it("takes a token's life as 60 s to 30 days, and keeps whole milliseconds", () => {
    assert.equal(tokenLifeSeconds(86_400), 86_400);
    assert.equal(tokenLifeSeconds(1e300), 30 * 86_400);
    assert.equal(tokenLifeSeconds(0.001), 60);
    assert.equal(tokenLifeSeconds("7200"), 7200);
    for (const odd of [undefined, null, -5, 0, Number.NaN, "soon", {}]) {
      assert.equal(tokenLifeSeconds(odd), 86_400, String(odd));
    }
    assert.ok(Number.isSafeInteger(usableUntil(1_800_000_000_123, tokenLifeSeconds(3599.9999))));
  });

  it("binds a token to the credentials that obtained it, by a salted fingerprint", async () => {
    const credentials = JSON.stringify(["https://t.auth0.com", "client", "secret-value"]);
    const one = await credentialsFingerprint(credentials);
    assert.notEqual(one, await credentialsFingerprint(credentials), "a new salt each time");
    assert.ok(!one.includes("secret-value"));
    assert.equal(await fingerprintMatches(one, credentials), true);
    const other = JSON.stringify(["https://t.auth0.com", "client", "secret-valuf"]);
    assert.equal(await fingerprintMatches(one, other), false);
    for (const stored of ["", "scrypt1$$", "plain", `${one}$x`, one.replace("scrypt1", "md5")]) {
      assert.equal(await fingerprintMatches(stored, credentials), false, stored);
    }
  });
});

describe("pacing by the rate-limit headers", () => {
  it("parses the x-ratelimit headers", () => {
    assert.deepEqual(
      parseRateLimit({
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": "3",
        "x-ratelimit-reset": "1700000000",
      }),
      { limit: 10, remaining: 3, resetAt: 1_700_000_000_000 },
    );
    assert.equal(parseRateLimit({}), null);
  });

  it("goes at once while the bucket holds more than the floor", () => {
    const now = 1_000_000;
    const pacer = new Pacer(1, () => now);
    pacer.observe({ limit: 50, remaining: 40, resetAt: now + 1000 });
    assert.equal(pacer.delay(), 0);
  });

  it("waits near the bottom of the bucket until it holds a token above the 20 % floor", () => {
    const now = 1_000_000;
    const pacer = new Pacer(1, () => now);
    // 10 tokens, 100 per minute: full again 6 s after being drained (rounded up to 7 s). One token
    // left, the floor is 2 (20 %): two refills, about 0.65 s each by the reset header.
    pacer.observe({ limit: 10, remaining: 1, resetAt: now + 6_000 });
    const delay = pacer.delay();
    assert.ok(delay > 1100 && delay < 1500, `delay ${delay}`);
  });

  it("measures the refill interval from the reset header, between two bounds", () => {
    let now = 1_700_000_000_000;
    const bucket = new Bucket({ burst: 50, perSecond: 16 }, () => now);
    const pacer = new Pacer(1, () => now);
    // Reads about every 50 ms (faster than the refill: the bucket drains, and each answer misses
    // more tokens), at varying phases of the second, each answer 20 ms after its request.
    for (let i = 0; i < 180; i++) {
      const sentAt = now;
      now += 10 + (i % 7);
      bucket.take();
      const headers = parseRateLimit(bucket.headers());
      now += 10;
      pacer.observe(headers, true, sentAt);
      now += 15 + ((i * 37) % 30);
    }
    const band = pacer.band();
    assert.ok(band && band.lo < 62.5 && band.hi >= 62.5, JSON.stringify(band));
    const interval = pacer.interval ?? 0;
    assert.ok(Math.abs(interval - 62.5) < 3, `interval ${interval}`);
  });

  it("a 429 holds reads back until the bucket holds a token above the floor again", () => {
    const now = 0;
    const pacer = new Pacer(1, () => now);
    pacer.observe({ limit: 10, remaining: 3, resetAt: 5000 });
    assert.equal(pacer.delay(), 0);
    pacer.observe({ limit: 10, remaining: 0, resetAt: 6000 }, false);
    assert.ok(pacer.delay() > 1000, `delay ${pacer.delay()}`);
  });
});
