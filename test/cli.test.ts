// The command line as a user meets it: help, exit statuses, clear errors, no stack traces.

import assert from "node:assert/strict";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import pg from "pg";
import { bucketText } from "../src/cli/commands/status.ts";
import { runCli, spawnCli, tempDir } from "./helpers/cli.ts";
import { postgresUrl, TEST_DATABASE } from "./helpers/postgres.ts";
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
    assert.doesNotMatch(result.stdout, /WARN {2}the rate limit's share/);
    assert.equal(w.logstash.requests[0]?.events, 0);
    assert.equal((await w.stored()).checkpoint, null);
  });

  it("says which rate-limit bucket the logs come from, and warns when the share cannot keep up", async (t) => {
    // 30 000 events in the last hour (500 a minute); a Read Logs bucket (10, 100/min) at the
    // default share with pages of 5: at most 0.5 × 100 × 5 = 250 events a minute (as one answer
    // tells the refill: a full bucket read once says it to a second, so roughly).
    const w = await world(t, {
      tenant: { backlog: 30_000, rateLimit: { burst: 10, perSecond: 100 / 60 } },
    });
    const result = await runCli(["check"], { ...w.env, BATCH_SIZE: "5" }, w.dir);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /^ok {4}Auth0 rate limit \(bucket of 10, refill ~[\d.]+\/(min|s), .*share 50 %: at most \d+ events\/min\)/m,
    );
    assert.match(
      result.stdout,
      /^WARN {2}the rate limit's share allows at most \d+ events\/min, under the tenant's recent \d+ events\/min/m,
    );
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

describe("read-only commands", () => {
  const reads = [
    ["status"],
    ["status", "--json"],
    ["runs"],
    ["runs", "show", "1"],
    ["dead-letters"],
    ["dead-letters", "list"],
    ["dead-letters", "show", "1"],
    ["schedule"],
  ];

  it("run from a folder without a store, create none: 'no store at …', exit 1", async () => {
    const dir = tempDir();
    // As the newcomer ran it: the default DATABASE_URL (sqlite:./data/state.sqlite), elsewhere.
    const status = await spawnCli(["status"], {}, dir).done;
    assert.equal(status.code, 1, status.stdout);
    assert.equal(
      status.stderr,
      `error: no store at ${join(dir, "data", "state.sqlite")} (DATABASE_URL): nothing was exported with it yet (a relative path is read from the folder the command runs in)\n`,
    );
    assert.equal(status.stdout, "");
    for (const args of reads) {
      const result = await runCli(args, { DATABASE_URL: `sqlite:${dir}/data/state.sqlite` }, dir);
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.stderr, /^error: no store at \S+state\.sqlite \(DATABASE_URL\)/);
    }
    assert.deepEqual(readdirSync(dir), [], "no folder, no file");
  });

  it("an empty file is no store either, and stays empty", async () => {
    const dir = tempDir();
    const path = join(dir, "state.sqlite");
    writeFileSync(path, "");
    for (const args of reads) {
      const result = await runCli(args, { DATABASE_URL: `sqlite:${path}` }, dir);
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.stderr, /no store at .* the file holds none of the exporter's tables/);
    }
    assert.equal(statSync(path).size, 0);
  });

  it("on PostgreSQL, a schema without the exporter's tables is no store, and is not created", async (t) => {
    const url = await postgresUrl(t);
    const schema = new URL(url).searchParams.get("schema") as string;
    for (const args of reads) {
      const result = await runCli(args, { DATABASE_URL: url });
      assert.equal(result.code, 1, args.join(" "));
      assert.match(
        result.stderr,
        new RegExp(
          `^error: no store at postgres://\\S+ \\(DATABASE_URL\\): the schema ${schema} holds none of the exporter's tables\\n$`,
        ),
      );
    }
    const client = new pg.Client({ connectionString: TEST_DATABASE });
    await client.connect();
    t.after(() => client.end());
    const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    assert.equal(found.rowCount, 0, "no schema created");
  });

  it("read a store that exists; a command that writes (disable) still creates one", async () => {
    const dir = tempDir();
    const env = { DATABASE_URL: `sqlite:${dir}/data/state.sqlite` };
    assert.equal((await runCli(["disable"], env, dir)).code, 0);
    const status = await runCli(["status"], env, dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^State: +disabled/m);
    assert.equal((await runCli(["schedule"], env, dir)).code, 0);
    assert.equal((await runCli(["dead-letters"], env, dir)).stdout, "0 pending, 0 resolved.\n");
  });
});

describe("a name in .env or the environment that is not a setting", () => {
  const DOT_ENV = "LOG_LEVLE in .env is not a setting; did you mean LOG_LEVEL?";
  const ENV = "LOG_TYPE in the environment is not a setting; did you mean LOG_TYPES?";
  const count = (text: string, part: string) => text.split(part).length - 1;

  it("is said once by every command that loads the settings; check shows WARN lines", async (t) => {
    const w = await world(t, { tenant: { backlog: 3 } });
    writeFileSync(join(w.dir, ".env"), "LOG_LEVLE=error\n");
    const env = { ...w.env, LOG_TYPE: "f" };
    const check = await runCli(["check"], env, w.dir);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.equal(count(check.stdout, `WARN  ${DOT_ENV}\n`), 1, check.stdout);
    assert.equal(count(check.stdout, `WARN  ${ENV}\n`), 1, check.stdout);
    for (const command of ["once", "status", "runs"]) {
      const result = await runCli([command], env, w.dir);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(count(result.stderr, DOT_ENV), 1, `${command}: ${result.stderr}`);
      assert.equal(count(result.stderr, ENV), 1, `${command}: ${result.stderr}`);
    }
  });

  it("setup says it once, whatever the number of targets", async (t) => {
    const w = await world(t, { search: {} });
    writeFileSync(join(w.dir, ".env"), "LOG_LEVLE=error\n");
    writeFileSync(
      join(w.dir, "tenants.yaml"),
      "tenants:\n  a:\n    ELASTICSEARCH_INDEX: logs-auth0.a-default\n  b:\n    ELASTICSEARCH_INDEX: logs-auth0.b-default\n",
    );
    const result = await runCli(["setup", "--dry-run", "--config", "tenants.yaml"], w.env, w.dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Tenants a:.*Tenants b:/s);
    assert.equal(count(result.stderr, DOT_ENV), 1, result.stderr);
  });

  it("an unset required setting's error names its misspelling: exit 2", async () => {
    const result = await runCli(["once"], {
      AUTH0_DOMAIN: "acme.eu.auth0.com",
      AUTH0_CLIENT_ID: "id",
      AUTH0_CLIENT_SECRET: "s3cret-value",
      LOGSTASH_URLL: "https://logstash.example.com",
      LOGSTASH_INDEX: "auth0",
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^error: LOGSTASH_URL: required but not set \(LOGSTASH_URLL is set: a typo\?\), unless/m,
    );
  });
});

describe("status: the rate limit line", () => {
  it("says the bucket, its refill, the share in force and the ceiling in events a minute", () => {
    const line = bucketText({
      limit: 10,
      remaining: 7,
      refillPerSecond: 100 / 60,
      at: "2026-12-08T03:00:00.000Z",
      share: 0.5,
      ceilingPerMinute: 5000,
    });
    assert.equal(
      line,
      "bucket of 10, refill ~1.7/s, 7 left at 2026-12-08 03:00:00 UTC; share 50 %: at most 5000 events/min",
    );
    const slow = bucketText({
      limit: 10,
      remaining: 9,
      refillPerSecond: 0.5,
      at: "2026-12-08T03:00:00.000Z",
      share: 0.75,
      ceilingPerMinute: null,
    });
    assert.match(slow, /refill ~30\/min, .*share 75 %$/);
  });
});

describe("status: health, and an exit status probes can use", () => {
  const RIGHT = { LOGSTASH_USER: "u", LOGSTASH_PASSWORD: "p" };
  const WRONG = { LOGSTASH_USER: "u", LOGSTASH_PASSWORD: "wrong" };

  it("a tenant caught up: Health ok, exit 0; --json adds health and keeps the rest", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    assert.equal((await w.once()).code, 0);
    const status = await runCli(["status"], w.env, w.dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Health: +ok$/m);
    const json = await runCli(["status", "--json"], w.env, w.dir);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual(parsed.health, { state: "ok", label: "ok", reasons: [] });
    for (const key of ["enabled", "checkpoint", "lagSeconds", "lastRun", "deadLetters", "runs"])
      assert.ok(key in parsed, key);
  });

  it("a tenant whose last execution failed: Health failing, exit 1, in --json too", async (t) => {
    // Logstash wants credentials: exported once with them, then they are wrong.
    const w = await world(t, { tenant: { backlog: 5 }, logstash: { user: "u", password: "p" } });
    assert.equal((await w.once(RIGHT)).code, 0);
    w.tenant.addEvents(3);
    assert.equal((await w.once(WRONG)).code, 1);
    const status = await runCli(["status"], w.env, w.dir);
    assert.equal(status.code, 1, status.stdout + status.stderr);
    assert.match(status.stdout, /^Health: +failing: the last execution failed$/m);
    assert.equal(status.stderr, "");
    const json = await runCli(["status", "--json"], w.env, w.dir);
    assert.equal(json.code, 1);
    assert.equal(
      (JSON.parse(json.stdout) as { health: { state: string } }).health.state,
      "failing",
    );
  });

  it("a checkpoint over half of AUTH0_LOG_RETENTION behind: retention at risk, exit 1", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    assert.equal((await w.once()).code, 0);
    const since = new Date(Date.now() - 2 * 3_600_000).toISOString();
    assert.equal((await runCli(["replay", "--since", since], w.env, w.dir)).code, 0);
    const env = { ...w.env, AUTH0_LOG_RETENTION: "3h" };
    const status = await runCli(["status"], env, w.dir);
    assert.equal(status.code, 1, status.stdout + status.stderr);
    assert.match(
      status.stdout,
      /^Health: +retention at risk: 2h 00m behind, over half of AUTH0_LOG_RETENTION \(3h 00m\): Auth0 deletes events older than that, exported or not$/m,
    );
    // Exported again: nothing at risk any more.
    assert.equal((await w.once(env)).code, 0);
    assert.equal((await runCli(["status"], env, w.dir)).code, 0);
  });

  it("several tenants: a HEALTH column; exit 1 when one of them fails", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 }, logstash: { user: "u", password: "p" } });
    writeFileSync(join(w.dir, "tenants.yaml"), "tenants:\n  a: {}\n  b: {}\n");
    const env = { ...w.env, CONFIG_FILE: "tenants.yaml" };
    for (const tenant of ["a", "b"])
      assert.equal((await w.once({ ...env, ...RIGHT }, ["--tenant", tenant])).code, 0);
    w.tenant.addEvents(3);
    assert.equal((await w.once({ ...env, ...WRONG }, ["--tenant", "a"])).code, 1);
    const status = await runCli(["status"], env, w.dir);
    assert.equal(status.code, 1, status.stdout + status.stderr);
    assert.match(status.stdout, /^TENANT +HEALTH +LAST RUN/m);
    assert.match(status.stdout, /^a +failing +failed /m);
    assert.match(status.stdout, /^b +ok +success /m);
  });
});
