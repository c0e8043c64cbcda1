// The command line as a user meets it: help, exit statuses, clear errors, no stack traces.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli, spawnCli, tempDir } from "./helpers/cli.ts";
import { world } from "./helpers/world.ts";

describe("command line", () => {
  it("--help lists the commands and exits 0", async () => {
    const result = await runCli(["--help"], {});
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: auth0-logs-to-logstash <command>/);
    assert.match(result.stdout, /once/);
    assert.match(result.stdout, /check/);
  });

  for (const command of ["once", "check"]) {
    it(`${command} --help describes the command`, async () => {
      const result = await runCli([command, "--help"], {});
      assert.equal(result.code, 0);
      assert.match(result.stdout, new RegExp(`Usage: auth0-logs-to-logstash ${command}`));
      assert.match(result.stdout, /Exit status/);
    });
  }

  it("an unknown command exits 2 and lists the commands", async () => {
    const result = await runCli(["export"], {});
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /unknown command "export"; commands: run, once, check, setup, status, runs, replay, schedule, enable, disable, dead-letters/,
    );
  });

  it("an unknown flag exits 2 and names it", async () => {
    const result = await runCli(["once", "--fast"], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option '--fast'/);
  });

  it("bad settings exit 2, naming every setting, with no stack trace", async () => {
    const result = await runCli(["once"], { BATCH_SIZE: "500", LOGSTASH_URL: "x" });
    assert.equal(result.code, 2);
    for (const name of ["AUTH0_DOMAIN", "BATCH_SIZE", "LOGSTASH_URL", "LOGSTASH_INDEX"]) {
      assert.match(result.stderr, new RegExp(`error: ${name}:`));
    }
    assert.ok(!result.stderr.includes("    at "));
  });

  it("the executable runs on the pinned Node from any directory", async () => {
    const run = spawnCli(["--version"], {}, tempDir());
    const result = await run.done;
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it("the executable exits 2 on bad settings", async () => {
    const result = await spawnCli(["once"], { BATCH_SIZE: "0" }, tempDir()).done;
    assert.equal(result.code, 2);
    assert.match(result.stderr, /BATCH_SIZE: must be a whole number from 1 to 100/);
  });
});

describe("check", () => {
  it("reports each step ok and moves no checkpoint", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const result = await runCli(["check"], w.env, w.dir);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ok {4}settings/m);
    assert.match(result.stdout, /^ok {4}Auth0 token/m);
    assert.match(result.stdout, /^ok {4}Auth0 logs \(one page\)/m);
    assert.match(result.stdout, /^ok {4}Logstash \(POST \[\] accepted\)/m);
    assert.equal(w.logstash.requests[0]?.events, 0);
    assert.equal((await w.stored()).checkpoint, null);
  });

  it("reports the exact reason a step failed and exits 1", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 10 },
      logstash: { user: "elastic", password: "right" },
    });
    const result = await runCli(
      ["check"],
      { ...w.env, LOGSTASH_USER: "elastic", LOGSTASH_PASSWORD: "wrong-pw-77" },
      w.dir,
    );
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^FAIL {2}Logstash: Logstash refused the request \(401\)/m);
    assert.ok(!result.stdout.includes("wrong-pw-77"));
  });

  it("reports refused Auth0 credentials", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const result = await runCli(["check"], { ...w.env, AUTH0_CLIENT_ID: "other" }, w.dir);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^FAIL {2}Auth0 token: Auth0 refused the client credentials/m);
  });
});
