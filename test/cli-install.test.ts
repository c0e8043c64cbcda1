// The command line as an installed service's operator meets it (issue 22): near misses named,
// extra arguments refused, one exit status per meaning, the settings file found where a system
// install keeps it.

import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ENV_FILE_VARIABLE, envFileFor, SYSTEM_ENV_FILE } from "../src/config/gather.ts";
import { openStore } from "../src/store/open.ts";
import { defaultUser } from "../src/store/postgres/store.ts";
import { runCli, spawnCli, tempDir } from "./helpers/cli.ts";
import { until } from "./helpers/poll.ts";
import { postgresUrl } from "./helpers/postgres.ts";
import { world } from "./helpers/world.ts";

async function emptyStore(dir: string): Promise<string> {
  const url = `sqlite:${join(dir, "state.sqlite")}`;
  await (await openStore(url, { timeoutMs: 5_000 })).close();
  return url;
}

describe("did you mean", () => {
  it("a misspelt command exits 2 and names the one meant", async () => {
    const result = await runCli(["stauts"], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command "stauts" \(did you mean status\?\)/);
  });

  it("a misspelt option exits 2 and names the one meant", async () => {
    const result = await runCli(["status", "--jsno"], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option '--jsno' \(did you mean --json\?\)/);
  });

  it("a misspelt action of dead-letters names the one meant", async () => {
    const result = await runCli(["dead-letters", "shwo", "1"], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown action "shwo" \(did you mean show\?\)/);
  });

  it("a word far from every command gets no guess", async () => {
    const result = await runCli(["export"], {});
    assert.equal(result.code, 2);
    assert.doesNotMatch(result.stderr, /did you mean/);
  });
});

describe("extra arguments", () => {
  for (const args of [
    ["status", "now", "please"],
    ["check", "tenant-a"],
    ["once", "x"],
    ["dead-letters", "list", "x"],
  ]) {
    it(`${args.join(" ")}: exit 2, naming them`, async () => {
      const result = await runCli(args, {});
      assert.equal(result.code, 2, result.stderr);
      const extra = args.slice(args[0] === "dead-letters" ? 2 : 1);
      for (const word of extra) assert.match(result.stderr, new RegExp(`"${word}"`));
    });
  }

  it("dead-letters show takes one number", async () => {
    const result = await runCli(["dead-letters", "show", "1", "2"], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /dead-letters show: give one dead letter number/);
  });
});

describe("exit statuses", () => {
  it("dead-letters delete of a letter that does not exist exits 1, as show does", async () => {
    const dir = tempDir();
    const env = { DATABASE_URL: await emptyStore(dir) };
    const show = await runCli(["dead-letters", "show", "99"], env, dir);
    assert.equal(show.code, 1);
    const deleted = await runCli(["dead-letters", "delete", "99"], env, dir);
    assert.equal(deleted.code, 1, deleted.stderr);
    assert.match(deleted.stderr, /there is no dead letter 99/);
  });
});

describe("settings file", () => {
  it("the order: --env-file, else ./.env, else the system file, else none", () => {
    const dir = "/srv/app";
    const none = () => false;
    const all = () => true;
    assert.deepEqual(envFileFor({ [ENV_FILE_VARIABLE]: "my.env" }, dir, all), {
      path: "/srv/app/my.env",
      required: true,
    });
    assert.deepEqual(envFileFor({}, dir, all), { path: "/srv/app/.env", required: false });
    assert.deepEqual(
      envFileFor({}, dir, (p) => p === SYSTEM_ENV_FILE),
      { path: SYSTEM_ENV_FILE, required: false },
    );
    assert.equal(SYSTEM_ENV_FILE, "/etc/auth0-logs-to-logstash/env");
    assert.equal(envFileFor({}, dir, none), undefined);
  });

  it("--env-file PATH is read by every command, in place of .env", async () => {
    const dir = tempDir();
    const url = await emptyStore(dir);
    writeFileSync(join(dir, ".env"), "DATABASE_URL=sqlite:/nowhere/state.sqlite\n");
    writeFileSync(join(dir, "service.env"), `DATABASE_URL=${url}\n`);
    const result = await runCli(["dead-letters", "--env-file", "service.env"], {}, dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /0 pending, 0 resolved/);
    const before = await runCli(["--env-file=service.env", "runs"], {}, dir);
    assert.equal(before.code, 0, before.stderr);
  });

  it("--env-file naming no file exits 2, naming it", async () => {
    const dir = tempDir();
    const result = await runCli(["status", "--env-file", "missing.env"], {}, dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing\.env: could not be read \(no such file\)/);
  });

  it("the installed command passes --env-file to itself, not to Node", async () => {
    const dir = tempDir();
    const url = await emptyStore(dir);
    writeFileSync(join(dir, "service.env"), `DATABASE_URL=${url}\n`);
    const result = await spawnCli(["runs", "--env-file", "service.env"], {}, dir).done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /No runs\./);
  });

  it("--help says where settings come from", async () => {
    const result = await runCli(["--help"], {});
    assert.match(result.stdout, /--env-file PATH/);
    assert.match(result.stdout, /\/etc\/auth0-logs-to-logstash\/env/);
  });
});

describe("check --json", () => {
  it("prints one JSON document: each step ok, fail or warn with its detail; exit as the text", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 10 },
      logstash: { user: "elastic", password: "right" },
    });
    const env = { ...w.env, LOGSTASH_USER: "elastic", LOGSTASH_PASSWORD: "wrong-pw-77" };
    const result = await runCli(["check", "--json"], env, w.dir);
    assert.equal(result.code, 1);
    assert.ok(!result.stdout.includes("wrong-pw-77"));
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      steps: { tenant: string | null; step: string; result: string; detail: string | null }[];
    };
    assert.equal(report.ok, false);
    const byStep = new Map(report.steps.map((s) => [s.step, s]));
    assert.equal(byStep.get("settings")?.result, "ok");
    assert.equal(byStep.get("Auth0 token")?.result, "ok");
    assert.equal(byStep.get("Logstash")?.result, "fail");
    assert.match(byStep.get("Logstash")?.detail ?? "", /Logstash refused the request \(401\)/);
    for (const step of report.steps) {
      assert.ok(["ok", "fail", "warn"].includes(step.result));
      assert.equal(step.tenant, null);
    }
  });

  it("all ok: ok true, exit 0", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const result = await runCli(["check", "--json"], w.env, w.dir);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { ok: boolean; steps: { result: string }[] };
    assert.equal(report.ok, true);
    assert.ok(report.steps.every((s) => s.result !== "fail"));
  });
});

describe("a DATABASE_URL without a user name", () => {
  it("takes PGUSER, else the operating system's user, as libpq does; a named user stays", () => {
    const url = (text: string, env: Record<string, string>, os?: string) => {
      const parsed = new URL(text);
      defaultUser(parsed, env, () => os);
      return parsed.toString();
    };
    assert.equal(url("postgres://db:5432/x", { PGUSER: "pg" }, "me"), "postgres://pg@db:5432/x");
    assert.equal(url("postgres://db:5432/x", {}, "me"), "postgres://me@db:5432/x");
    assert.equal(url("postgres://a:pw@db/x", { PGUSER: "pg" }, "me"), "postgres://a:pw@db/x");
    assert.equal(url("postgres://db/x", {}, undefined), "postgres://db/x");
  });

  it("connects to PostgreSQL as the operating system's user, with neither PGUSER nor USER set", async (t) => {
    const url = new URL(await postgresUrl(t));
    url.username = "";
    const saved = { PGUSER: process.env.PGUSER, USER: process.env.USER };
    delete process.env.PGUSER;
    delete process.env.USER;
    t.after(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    // The machine's server may have no role for this user: then it is the server that refuses
    // that role by name, not the client that finds no user name to send.
    const me = userInfo().username;
    try {
      const store = await openStore(url.toString(), { timeoutMs: 5_000 });
      await store.close();
    } catch (error) {
      const message = String((error as Error).message);
      assert.doesNotMatch(message, /no PostgreSQL user name/);
      assert.match(message, new RegExp(`"${me}"`));
    }
  });
});

describe("run, as a service starts", () => {
  it("exports at start, says so, and writes the generated password to a 0600 file it names, not to the log", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 } });
    let stderr = "";
    // SCHEDULE hourly: without an execution at start nothing would be exported for up to an hour.
    const service = spawnCli(["run"], { ...w.env, HTTP_PORT: "0", SCHEDULE: "0 * * * *" }, w.dir);
    service.child.stderr.on("data", (chunk) => (stderr += chunk));
    t.after(() => service.child.kill("SIGKILL"));
    await until(() => (w.missing().length === 0 ? true : undefined), { timeoutMs: 15_000 });
    assert.match(stderr, /exporting: an execution now, then on SCHEDULE/);
    const file = await until(
      () => /written to (\S+dashboard-password) \(mode 0600\)/.exec(stderr)?.[1],
      {
        timeoutMs: 10_000,
      },
    );
    const database = (w.env.DATABASE_URL as string).slice("sqlite:".length);
    assert.equal(file, join(database, "..", "dashboard-password"));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const password = /^password=(\S+)$/m.exec(readFileSync(file, "utf8"))?.[1] as string;
    assert.ok(password.length >= 20);
    assert.ok(!stderr.includes(password), "the password is not in the log");
    service.child.kill("SIGTERM");
    const result = await service.done;
    assert.equal(result.code, 0, result.stderr);
    const { runs } = await w.stored();
    assert.equal(runs.at(-1)?.trigger, "start");
  });
});
