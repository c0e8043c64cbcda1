// The core export against a simulated tenant and Logstash: everything arrives, exactly once on a
// clean run, in batches, following Auth0's next links, paced under the rate limit.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { world } from "./helpers/world.ts";

describe("one execution", () => {
  it("delivers every event of a 5 000-event backlog exactly once, then reports caught up", async (t) => {
    const w = await world(t, { tenant: { backlog: 5000 } });
    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
    // The backlog plus the seccft event that issuing our token wrote into the tenant's log.
    assert.equal(w.logstash.idCounts().size, 5001);
    const { checkpoint, runs } = await w.stored();
    assert.equal(checkpoint, w.tenant.eventIds().at(-1));
    assert.equal(runs[0]?.outcome, "success");
    assert.equal(runs[0]?.sent, 5001);
    assert.match(result.stderr, /"msg":"caught up"/);
  });

  it("sends one POST of a JSON array per page, BATCH_SIZE events at most", async (t) => {
    const w = await world(t, { tenant: { backlog: 49 }, env: { BATCH_SIZE: "7" } });
    assert.equal((await w.once()).code, 0);
    const posts = w.logstash.requests;
    assert.equal(posts.length, 8); // 50 events (49 + seccft) in pages of 7
    assert.ok(posts.every((p) => p.method === "POST" && p.events <= 7 && p.events > 0));
    assert.ok(posts.every((p) => p.headers["content-type"] === "application/json"));
    assert.ok(w.tenant.stats.urls.every((u) => u.endsWith("take=7") || u.includes("take=7&")));
  });

  it("reads each later page from the Link rel=next URL, as Auth0 asks", async (t) => {
    const w = await world(t, { tenant: { backlog: 250, linkExtra: "&include_fields=true" } });
    assert.equal((await w.once()).code, 0);
    const [first, ...later] = w.tenant.stats.urls;
    assert.ok(!first?.includes("include_fields"));
    assert.ok(later.length >= 3 && later.every((u) => u.includes("include_fields=true")));
    assert.deepEqual(w.missing(), []);
  });

  it("ignores a next link that points to another host or skips ahead, and warns", async (t) => {
    const w = await world(t, {
      tenant: {
        backlog: 300,
        rewriteLink: (link) => link.replace(/http:\/\/127\.0\.0\.1:\d+/, "https://evil.example"),
      },
    });
    const result = await w.once();
    assert.equal(result.code, 0);
    assert.deepEqual(w.missing(), []);
    assert.match(result.stderr, /next link points elsewhere/);
    const { runs } = await w.stored();
    assert.ok(runs[0]?.warnings.some((w) => w.includes("points elsewhere")));
  });

  it("continues from the last event when the Link header is missing", async (t) => {
    const w = await world(t, { tenant: { backlog: 300, rewriteLink: () => undefined } });
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
  });

  it("paces reads by the rate-limit headers so that 429s stay rare", async (t) => {
    // The whole refill (the share is the pacer's own tests' matter): 31 pages in about 1.5 s.
    const w = await world(t, {
      tenant: { backlog: 3000, rateLimit: { burst: 3, perSecond: 20 } },
      env: { AUTH0_RATE_LIMIT_SHARE: "100%" },
    });
    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.missing(), []);
    assert.ok(w.tenant.stats.logRequests >= 31);
    assert.ok(w.tenant.stats.rateLimited <= 1, `${w.tenant.stats.rateLimited} answers were 429`);
  });

  it("waits out a 429 until the reset it names, and loses nothing", async (t) => {
    const w = await world(t, { tenant: { backlog: 500 } });
    w.tenant.failNext("429", 2);
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
  });

  it("starts from the look-back on the first run and stores it at once", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 100, backlogSpanMs: 3 * 3_600_000 },
      env: { INITIAL_LOOKBACK: "1h" },
    });
    w.logstash.failNext("503", 1000);
    const failed = await w.once({ RETRY_MAX_TIME: "1s" });
    assert.equal(failed.code, 1);
    const stored = (await w.stored()).checkpoint;
    assert.ok(stored);
    w.logstash.faults.set(null);
    // Drain the queued faults, then run again: the same look-back checkpoint is used.
    w.logstash.faults.clear();
    const ok = await w.once();
    assert.equal(ok.code, 0);
    const received = [...w.logstash.idCounts().keys()];
    assert.ok(received.every((id) => id > (stored as string)));
    // About a third of the 3-hour backlog falls in the last hour.
    assert.ok(received.length > 25 && received.length < 45, `${received.length} received`);
  });
});

describe("START_FROM", () => {
  it("is applied once: a restart with the same value does not re-send", async (t) => {
    const w = await world(t, { tenant: { backlog: 300 } });
    const from = w.tenant.eventIds()[199] as string;
    assert.equal((await w.once({ START_FROM: from })).code, 0);
    assert.equal(w.logstash.idCounts().size, 101); // events 201..300 and the seccft event
    assert.equal((await w.once({ START_FROM: from })).code, 0);
    assert.deepEqual(w.duplicates(), []);
  });

  it("replays when changed", async (t) => {
    const w = await world(t, { tenant: { backlog: 300 } });
    assert.equal((await w.once()).code, 0);
    const earlier = w.tenant.eventIds()[249] as string;
    assert.equal((await w.once({ START_FROM: earlier })).code, 0);
    assert.equal(w.duplicates().length, 51); // 251..300 and the seccft event again
  });
});

describe("filters", () => {
  const typesOf = (received: unknown[]) =>
    new Set(received.map((e) => (e as { type: string }).type));

  it("LOG_TYPES sends only the listed types, and the checkpoint still reaches the end", async (t) => {
    const w = await world(t, { tenant: { backlog: 1000 }, env: { LOG_TYPES: "s,f" } });
    assert.equal((await w.once()).code, 0);
    assert.deepEqual([...typesOf(w.logstash.received)].sort(), ["f", "s"]);
    const { checkpoint, runs } = await w.stored();
    assert.equal(checkpoint, w.tenant.eventIds().at(-1));
    assert.equal((runs[0]?.sent ?? 0) + (runs[0]?.filtered ?? 0), 1001);
  });

  it("LOG_LEVEL sends events of that level and above", async (t) => {
    const w = await world(t, { tenant: { backlog: 1000 }, env: { LOG_LEVEL: "error" } });
    assert.equal((await w.once()).code, 0);
    const types = typesOf(w.logstash.received);
    assert.ok(types.has("f") && types.has("fp"));
    assert.ok(!types.has("s") && !types.has("seccft"));
  });

  it("LOG_TYPES and LOG_LEVEL combine with OR, as the original did", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 1000 },
      env: { LOG_TYPES: "slo", LOG_LEVEL: "4" },
    });
    assert.equal((await w.once()).code, 0);
    const types = typesOf(w.logstash.received);
    assert.ok(types.has("slo") && types.has("limit_wc")); // limit_wc is critical
    assert.ok(!types.has("s") && !types.has("f"));
  });
});

describe("tokens", () => {
  it("reuses the cached token across executions", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    await w.once();
    await w.once();
    await w.once();
    assert.equal(w.tenant.stats.tokensIssued, 1);
  });

  it("gets one fresh token after a 401 and carries on", async (t) => {
    const w = await world(t, { tenant: { backlog: 200 } });
    await w.once();
    w.tenant.addEvents(50);
    w.tenant.expireTokens();
    assert.equal((await w.once()).code, 0);
    assert.equal(w.tenant.stats.tokensIssued, 2);
    assert.deepEqual(w.missing(), []);
  });

  it("fails clearly when the client credentials are refused", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const result = await w.once({ AUTH0_CLIENT_SECRET: "wrong-secret-value" });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /refused the client credentials.*AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET/,
    );
    assert.ok(!result.stderr.includes("wrong-secret-value"));
  });
});

describe("output", () => {
  it("--json prints the summary on stdout", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 } });
    const result = await w.once({}, ["--json"]);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.outcome, "success");
    assert.equal(summary.sent, 21);
    assert.equal(summary.checkpoint, w.tenant.eventIds().at(-1));
  });
});
