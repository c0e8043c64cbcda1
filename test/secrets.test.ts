// Secrets never appear in output, logs or run records, whether the execution succeeds or fails.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { excerpt } from "../src/util/http.ts";
import { mask, registerRotatingSecret, registerSecrets } from "../src/util/secrets.ts";
import { runCli } from "./helpers/cli.ts";
import { world } from "./helpers/world.ts";

const SECRETS = {
  clientSecret: "CLIENTSECRET-3e9b1f7a",
  token: "LSTOKEN-8c2d4e6f",
  password: "LSPASSWORD-5a7b9c1d",
};

describe("secrets", () => {
  it("are absent from all output and run records of succeeding and failing executions", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 300, clientSecret: SECRETS.clientSecret },
      logstash: { user: "elastic", password: SECRETS.password },
      env: {
        AUTH0_CLIENT_SECRET: SECRETS.clientSecret,
        LOGSTASH_TOKEN: SECRETS.token,
        LOGSTASH_USER: "elastic",
        LOGSTASH_PASSWORD: SECRETS.password,
        EXPORTER_LOG_LEVEL: "trace",
        RETRY_MAX_TIME: "1s",
      },
    });
    const outputs: string[] = [];
    const ok = await w.once();
    assert.equal(ok.code, 0, ok.stderr);
    outputs.push(ok.stdout, ok.stderr);
    assert.ok(w.logstash.requests[0]?.url.includes(`token=${SECRETS.token}`), "the token is sent");
    w.tenant.addEvents(50);
    w.logstash.failNext("503", 100);
    const failed = await w.once({}, ["--json"]);
    assert.equal(failed.code, 1);
    outputs.push(failed.stdout, failed.stderr);
    w.logstash.faults.clear();
    w.logstash.failNext("401", 1);
    const refused = await w.once();
    outputs.push(refused.stdout, refused.stderr);
    const check = await runCli(
      ["check"],
      { ...w.env, LOGSTASH_PASSWORD: "wrong-but-secret-2f4e" },
      w.dir,
    );
    outputs.push(check.stdout, check.stderr);
    const badConfig = await runCli(
      ["once"],
      { ...w.env, LOGSTASH_URL: `not a url ${SECRETS.token}` },
      w.dir,
    );
    assert.equal(badConfig.code, 2);
    outputs.push(badConfig.stdout, badConfig.stderr);
    outputs.push(JSON.stringify((await w.stored()).runs));
    const all = outputs.join("\n");
    assert.ok(all.includes("503"), "the failure is reported");
    for (const secret of [
      ...Object.values(SECRETS),
      "wrong-but-secret-2f4e",
      `${w.logstash.url}?token=${SECRETS.token}`,
    ]) {
      assert.ok(!all.includes(secret), `${secret} leaked`);
      assert.ok(
        !all.includes(Buffer.from(`elastic:${secret}`).toString("base64")),
        `${secret} leaked as basic auth`,
      );
    }
  });
});

describe("excerpts of answers", () => {
  it("are masked before they are cut, collapsed or stripped of tags", () => {
    const secret = "SECRET-client-abcdefghijklmnop-0123456789";
    registerSecrets(secret);
    const echo = `{"error":"invalid_request","received":{"client_id":"${"x".repeat(40)}","client_secret":"${secret}"}}`;
    assert.ok(echo.indexOf(secret) < 120 && echo.indexOf(secret) + secret.length > 120);
    assert.doesNotMatch(excerpt(echo), /SECRET/);
    assert.match(excerpt(echo, 200), /"client_secret":"\*\*\*"/);
    const spaced = "pass  word<b>with</b>tags-123";
    registerSecrets(spaced);
    assert.equal(excerpt(`<p>echo: ${spaced}</p>`), "echo: ***");
  });

  it("mask a secret quoted twice in JSON, and one cut off at the end of a long answer", () => {
    const secret = 'SECRET"client\\secret-5f3e';
    registerSecrets(secret);
    const body = JSON.stringify({ client_secret: secret });
    const answer = JSON.stringify({ error_description: `Bad request: ${body}` });
    assert.equal(mask(answer).includes("SECRET"), false, mask(answer));
    const long = `${" ".repeat(64 * 1024 - 10)}${secret}${" ".repeat(100)}`;
    assert.doesNotMatch(excerpt(long), /SECRET/);
  });
});

describe("access tokens", () => {
  it("are masked, the newest two of each owner", () => {
    const tokens = ["eyJ-first-0001", "eyJ-second-0002", "eyJ-third-0003"];
    for (const token of tokens) registerRotatingSecret("tenant-a", token);
    assert.equal(mask(`Bearer ${tokens[2]} Bearer ${tokens[1]}`), "Bearer *** Bearer ***");
    assert.equal(mask(tokens[0] as string), tokens[0], "the oldest is no longer held");
  });
});
