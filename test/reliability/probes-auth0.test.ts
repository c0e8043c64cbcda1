// The outside probe's findings about answers from Auth0 and the token cache (issue "Hardening 3",
// items 1, 3 and 7; docs/reliability.md lists each with its before and after): one odd log id
// that skipped every later log, token lifetimes no store could keep, and a cached token that
// outlived a wrong or rotated client secret.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tokenCacheKey } from "../../src/auth0/token.ts";
import { runCli } from "../helpers/cli.ts";
import { CLIENT_ID, CLIENT_SECRET } from "../helpers/env.ts";
import { STORE_DRIVERS } from "../helpers/stores.ts";
import { world } from "../helpers/world.ts";

const STACK = /\n\s+at /;
const fast = { RETRY_MAX_TIME: "2s", REQUEST_TIMEOUT: "2s" };

describe("H3-1. one odd log id from Auth0 does not skip every later log", () => {
  const odd: [string, string][] = [
    ["a time in year 9999", `900${"99991231235959"}${"0".repeat(39)}`],
    ["month 13", `900${"20261324000000"}${"0".repeat(39)}`],
  ];
  for (const [name, bad] of odd) {
    it(`an id with ${name}, last of its page: the execution fails naming it, nothing of the page committed`, async (t) => {
      // Without the token's own seccft event, which would follow the odd one on its page.
      const tenant = { backlog: 150, recordOwnEvents: false };
      const w = await world(t, { tenant, env: fast });
      w.tenant.addEvent({ log_id: bad, _id: bad, type: "s" });
      const first = await w.once();
      assert.equal(first.code, 1, first.stderr.slice(-500));
      assert.match(
        first.stderr,
        /Auth0 logs endpoint \(GET \/api\/v2\/logs\) sent an event without a valid log_id/,
      );
      assert.ok(first.stderr.includes(`log_id ${bad}`), first.stderr.slice(-500));
      assert.doesNotMatch(first.stderr, STACK);
      const good = w.tenant.eventIds();
      assert.equal((await w.stored()).checkpoint, good[99], "the page before it, and no more");
      // The 135 events logged afterwards are not reported as exported: each execution fails.
      w.tenant.addEvents(135);
      const later = await w.once();
      assert.equal(later.code, 1);
      assert.equal((await w.stored()).checkpoint, good[99]);
      const [run] = (await w.stored()).runs;
      assert.equal(run?.outcome, "failed");
      assert.match(String(run?.error), new RegExp(`log_id ${bad}`));
    });
  }

  it("a checkpoint stored in the future (by an earlier version): status shows no negative lag, executions fail", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 }, env: fast });
    const future = `900${"99991231235959"}${"0".repeat(39)}`;
    await w.withStore((store) =>
      store.forJob("default").checkpoints.set(future, { kind: "replay" }),
    );
    const status = await runCli(["status"], w.env, w.dir);
    // A checkpoint that cannot be read from is a failing tenant: status exits 1 for probes.
    assert.equal(status.code, 1, status.stderr);
    assert.match(status.stdout, /Health: +failing/);
    assert.match(
      status.stdout,
      /Lag: +unknown: the checkpoint cannot be read from: .*in the future/,
    );
    assert.doesNotMatch(status.stdout, /Lag: +-|behind/, "no negative lag");
    const json = JSON.parse((await runCli(["status", "--json"], w.env, w.dir)).stdout);
    assert.equal(json.lagSeconds, null);
    assert.match(json.checkpointProblem, /in the future/);
    const once = await w.once();
    assert.equal(once.code, 1);
    assert.match(once.stderr, /the checkpoint 9009999\d+ cannot be read from: .*'replay --since/);
    const replay = await runCli(["replay", "--since", "2000-01-01T00:00:00Z"], w.env, w.dir);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
  });
});

for (const store of STORE_DRIVERS) {
  describe(`H3-3. token lifetimes out of range, stored in ${store.kind}`, () => {
    // 1e300 s and fractional seconds made an expiry PostgreSQL's bigint refuses ("could not be
    // written … is the disk full"); 0.001 s made a token per page.
    for (const expiresIn of [1e300, 3599.9999, 0.001]) {
      it(`expires_in ${expiresIn}: clamped to 60 s … 30 days, stored in whole ms, one token`, async (t) => {
        const w = await world(t, {
          store,
          tenant: { backlog: 450, expiresIn },
          env: { ...fast, BATCH_SIZE: "100" },
        });
        const first = await w.once();
        assert.equal(first.code, 0, first.stderr.slice(-500));
        assert.doesNotMatch(first.stderr, /disk/);
        w.tenant.addEvents(120);
        assert.equal((await w.once()).code, 0);
        assert.deepEqual(w.missing(), []);
        assert.equal(
          w.tenant.stats.tokenRequests,
          1,
          "one token for five pages and two executions",
        );
        const token = await w.withStore((s) =>
          s.forJob("default").tokens.get(tokenCacheKey(w.tenant.url, CLIENT_ID)),
        );
        const expiresAt = token?.expiresAt ?? Number.NaN;
        assert.ok(Number.isSafeInteger(expiresAt), String(expiresAt));
        assert.ok(expiresAt >= Date.now() + 30_000, "at least 60 s, less the margin");
        assert.ok(expiresAt <= Date.now() + 30 * 86_400_000, "at most 30 days");
      });
    }
  });
}

describe("H3-7. a wrong or rotated client secret fails at once, cached token or not", () => {
  it("check asks Auth0 with the configured secret; no execution reuses another secret's token", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 }, env: fast });
    assert.equal((await w.once()).code, 0);
    assert.equal(w.tenant.stats.tokensIssued, 1);
    const wrong = { ...w.env, AUTH0_CLIENT_SECRET: "wrong-secret-value-0b7e" };

    const check = await runCli(["check"], wrong, w.dir);
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout, /FAIL {2}Auth0 token: Auth0 refused the client credentials \(401\)/);
    w.tenant.addEvents(5);
    const once = await runCli(["once"], wrong, w.dir);
    assert.equal(once.code, 1, "the token cached by the right secret is not used");
    assert.match(once.stderr, /refused the client credentials/);
    assert.equal(w.tenant.stats.tokensIssued, 1);

    // The right secret reuses its cached token; check asks for a new one, and says so.
    assert.equal((await w.once()).code, 0);
    assert.equal(w.tenant.stats.tokensIssued, 1, "reused by the secret that obtained it");
    assert.deepEqual(w.missing(), []);
    const ok = await runCli(["check"], w.env, w.dir);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /ok {4}Auth0 token \(a new token issued for the configured/);
    assert.equal(w.tenant.stats.tokensIssued, 2);

    // Rotated in Auth0: tokens issued before stay valid for a day, but check fails now.
    w.tenant.setClientSecret("rotated-secret-value-5a1d");
    const rotated = await runCli(["check"], w.env, w.dir);
    assert.equal(rotated.code, 1);
    assert.match(rotated.stdout, /FAIL {2}Auth0 token: .*\(401\)/);
  });

  it("the cache keeps a salted fingerprint of the credentials, never the secret", async (t) => {
    const w = await world(t, { tenant: { backlog: 3 } });
    assert.equal((await w.once()).code, 0);
    const token = await w.withStore((s) =>
      s.forJob("default").tokens.get(tokenCacheKey(w.tenant.url, CLIENT_ID)),
    );
    const fingerprint = token?.credentials ?? "";
    assert.match(fingerprint, /^scrypt1\$[\w-]{22}\$[\w-]{43}$/);
    for (const form of [CLIENT_SECRET, Buffer.from(CLIENT_SECRET).toString("base64url")]) {
      assert.ok(!fingerprint.includes(form));
    }
  });
});
