// The outside probe's findings on the export side, kept as tests so that they stay fixed
// (docs/reliability.md lists each with its before and after): tail loops, schedules and ranges,
// two processes on one store, secrets echoed by upstreams, checkpoints that skip everything,
// store permissions, credentials in URLs, unbounded answers, credentials over plain http.

import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";
import { holderFor } from "../../src/runner/lease.ts";
import { parseSchedule } from "../../src/runner/schedule.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { runCli, spawnCli, tempDir } from "../helpers/cli.ts";
import { dashboardFor } from "../helpers/dashboard.ts";
import { until } from "../helpers/poll.ts";
import { startService } from "../helpers/process.ts";
import { serviceFor } from "../helpers/service.ts";
import { world } from "../helpers/world.ts";

const STACK = /\n\s+at /;
const valid = {
  AUTH0_DOMAIN: "acme.eu.auth0.com",
  AUTH0_CLIENT_ID: "client-id",
  AUTH0_CLIENT_SECRET: "s3cret-client-value",
  LOGSTASH_URL: "https://logstash.example.com:8080",
  LOGSTASH_INDEX: "auth0",
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, { cwd: tempDir() });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe("3. one tail loop", () => {
  it("executions of every trigger arm no further tail loops", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const { service, store } = await serviceFor(t, w, {
      SCHEDULE: "1s",
      TAIL: "true",
      TAIL_INTERVAL: "1s",
    });
    const started = Date.now();
    await service.start();
    for (let i = 0; i < 4; i++) {
      await sleep(250);
      void service.tick("manual");
    }
    await sleep(5000 - (Date.now() - started));
    await service.stop(1000);
    const late = (await store.runs.list({ limit: 1000 })).filter(
      (run) => run.outcome !== "skipped" && Date.parse(run.startedAt) >= started + 2000,
    );
    // One loop polls every second plus the execution: at most 3 in 3 s, plus 3 schedule ticks.
    assert.ok(late.length <= 6, `${late.length} executions in the last 3 s`);
    // Polls that read nothing are not runs (runner/tail.ts): count them by Auth0's log requests,
    // one for each caught-up execution or poll.
    const polls = w.tenant.stats.logRequestTimes.filter((time) => time >= started + 2000);
    assert.ok(polls.length >= 1 && polls.length <= 6, `${polls.length} polls in the last 3 s`);
  });
});

describe("4. schedules and durations stay in range", () => {
  it("an interval over 24.8 days waits instead of firing every millisecond", async () => {
    const schedule = parseSchedule("25d");
    let ticks = 0;
    schedule.start(() => ticks++);
    await sleep(300);
    schedule.stop();
    assert.equal(ticks, 0);
  });

  it("refuses out-of-range values naming the setting, exit 2", async () => {
    const cases: Record<string, string> = {
      SCHEDULE: `${"9".repeat(30)}d`,
      TAIL_INTERVAL: "0s",
      REQUEST_TIMEOUT: "0s",
      DASHBOARD_SESSION_TTL: "401d",
      INITIAL_LOOKBACK: "99999999d",
    };
    for (const [name, value] of Object.entries(cases)) {
      const problems = problemsOf({ ...valid, [name]: value });
      assert.ok(
        problems.some(
          (p) => p.startsWith(`${name}: must be`) || p.startsWith(`${name}: an interval`),
        ),
        `${name}=${value}: ${problems.join("; ")}`,
      );
    }
    assert.ok(
      problemsOf({ ...valid, SCHEDULE: "0 0 30 2 *" }).some((p) =>
        /SCHEDULE: .*never fires/.test(p),
      ),
    );
    const cli = await runCli(["once"], { ...valid, SCHEDULE: "0 0 30 2 *" });
    assert.equal(cli.code, 2);
  });

  it("the dashboard refuses a bad schedule with 400 naming SCHEDULE, and resets to the configured one", async (t) => {
    const d = await dashboardFor(t, await world(t));
    await d.signIn();
    const post = (body: unknown) =>
      d.request("/api/tenants/default/schedule", {
        method: "POST",
        csrf: true,
        body: JSON.stringify(body),
      });
    const bad = await post({ schedule: `${"9".repeat(30)}d` });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^SCHEDULE: /);
    assert.equal((await post({ schedule: "0 0 30 2 *" })).status, 400);
    assert.equal((await post({ schedule: "25d" })).status, 200);
    const reset = (await (await post({ reset: true })).json()) as { schedule: string };
    assert.equal(reset.schedule, d.config.schedule);
    assert.equal(await d.store.state.get("schedule"), null);
  });

  it("a bad stored schedule does not stop run or status, and schedule reset removes it", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const store = new SqliteStore(join(w.dir, "state.sqlite"));
    await store.forJob("default").state.set("schedule", `${"9".repeat(30)}d`);
    await store.close();
    const status = await runCli(["status"], w.env, w.dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stderr, /stored schedule .* is not valid/);
    const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    assert.equal((await service.call("/healthz")).status, 200);
    assert.equal((await service.stop()).code, 0);
    const reset = await runCli(["schedule", "reset"], w.env, w.dir);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /Schedule: \*\/5 \* \* \* \* \(SCHEDULE\)/);
  });
});

describe("5. one process per store", () => {
  it("a second run or once refuses to start, naming the holder; a killed holder is not waited for", async (t) => {
    const w = await world(t, { tenant: { backlog: 50 } });
    const first = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => first.child.kill("SIGKILL"));
    const once = await spawnCli(["once"], w.env, w.dir).done;
    assert.equal(once.code, 1);
    assert.match(once.stderr, new RegExp(`in use by "run" \\(pid ${first.child.pid} on `));
    const second = await spawnCli(["run"], { ...w.env, HTTP_PORT: "0" }, w.dir).done;
    assert.equal(second.code, 1);
    assert.match(second.stderr, /in use by "run"/);
    first.child.kill("SIGKILL");
    await first.done;
    const after = await spawnCli(["once"], w.env, w.dir).done;
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(w.missing(), []);
  });

  it("an execution whose lease was taken over stops without calling it a replay, and does not restart", async (t) => {
    const w = await world(t, { tenant: { backlog: 800 }, logstash: { delayMs: 80 } });
    const { service, store } = await serviceFor(t, w);
    const running = service.tick("manual");
    await until(() => (w.logstash.requests.length >= 2 ? true : undefined));
    const other = new SqliteStore(join(w.dir, "state.sqlite"));
    t.after(() => other.close());
    const taken = await other.forJob("default").leases.claim(holderFor("run"), 30_000, () => true);
    assert.equal(taken.held, true);
    await running;
    const [run] = await store.runs.list({ limit: 1 });
    assert.equal(run?.outcome, "aborted");
    assert.match(run?.error ?? "", /took this job over/);
    assert.doesNotMatch(run?.error ?? "", /replay/);
    const requests = w.logstash.requests.length;
    await sleep(500);
    assert.equal(w.logstash.requests.length, requests, "no new execution started");
    assert.equal((await store.runs.list({ limit: 10 })).length, 1);
  });
});

describe("6. secrets echoed back by an upstream stay masked", () => {
  for (const user of ["ab", "abc"]) {
    it(`basic auth of "${user}:…", a token with ~()!'*, and a client secret with " and \\`, async (t) => {
      const password = "SECRET-pw-4d2c8e19";
      const token = "SECRET~tok(en)!'*-7a1b";
      const clientSecret = 'SECRET"client\\secret-5f3e';
      const w = await world(t, {
        tenant: { backlog: 20, clientSecret },
        env: {
          AUTH0_CLIENT_SECRET: clientSecret,
          LOGSTASH_USER: user,
          LOGSTASH_PASSWORD: password,
          LOGSTASH_TOKEN: token,
          RETRY_MAX_TIME: "0s",
        },
      });
      w.logstash.failNext("echo-400");
      const outputs: string[] = [];
      const failed = await runCli(["once"], w.env, w.dir);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /Logstash rejected the batch \(400\)/);
      // The cached token is revoked: a new one is asked for, and the answer quotes the request.
      w.tenant.expireTokens();
      w.tenant.tokenFaults.failNext("echo-400");
      const tokenFailed = await runCli(["once"], { ...w.env, REQUEST_TIMEOUT: "1s" }, w.dir);
      // The excerpt reaches the echoed secret (JSON-escaped twice: a JSON body quoted in a JSON
      // string), masked where it stood.
      assert.match(tokenFailed.stderr, /client_id.{0,40}client_secret\W{1,12}\*\*\*\W+audience/);
      // The logs endpoint quotes the Authorization header: the Management API token it carries.
      w.tenant.failNext("echo-400");
      const bearerFailed = await runCli(["once"], w.env, w.dir);
      assert.match(bearerFailed.stderr, /authorization\W+Bearer \*\*\*\W/);
      outputs.push(failed.stdout, failed.stderr, tokenFailed.stdout, tokenFailed.stderr);
      outputs.push(bearerFailed.stdout, bearerFailed.stderr);
      for (const args of [
        ["runs", "--json"],
        ["status", "--json"],
      ]) {
        outputs.push((await runCli(args, w.env, w.dir)).stdout);
      }
      const d = await dashboardFor(t, w);
      await d.signIn();
      for (const path of [
        "/api/tenants/default/runs",
        "/api/tenants/default/status",
        "/api/tenants/default/runs/1",
      ]) {
        outputs.push(await (await d.request(path)).text());
      }
      await d.service.tick("manual");
      outputs.push(JSON.stringify(d.logs.recent()), d.lines.join(""));
      const all = outputs.join("\n");
      assert.match(all, /\*\*\*/, "something was masked");
      const forms = [
        password,
        Buffer.from(`${user}:${password}`).toString("base64"),
        token,
        new URLSearchParams({ token }).toString(),
        encodeURIComponent(token),
        clientSecret,
        JSON.stringify(clientSecret).slice(1, -1),
      ];
      for (const form of forms) assert.ok(!all.includes(form), `leaked: ${form}`);
      assert.doesNotMatch(all, /Bearer (?!\*\*\*)\S{8}/, "a Management API token leaked");
    });
  }
});

describe("8. checkpoints that would skip everything are refused", () => {
  const future = `900${"99991231235959"}${"0".repeat(39)}`;
  it("in replay --from/--since, START_FROM and the dashboard", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    for (const args of [
      ["--from", future],
      ["--since", "-271821-04-20T00:00:00Z"],
      ["--since", "2999-01-01T00:00:00Z"],
    ]) {
      const result = await runCli(["replay", ...args], w.env, w.dir);
      assert.equal(result.code, 2, args.join(" "));
    }
    const once = await runCli(["once"], { ...w.env, START_FROM: future }, w.dir);
    assert.equal(once.code, 2);
    assert.match(once.stderr, /START_FROM: .*in the future/);
    const d = await dashboardFor(t, w);
    await d.signIn();
    for (const query of [`checkpoint=${future}`, "since=-271821-04-20T00:00:00Z"]) {
      const preview = await d.request(`/api/tenants/default/replay/preview?${query}`);
      assert.equal(preview.status, 400, query);
      assert.ok(((await preview.json()) as { error: string }).error);
    }
    const replay = await d.request("/api/tenants/default/replay", {
      method: "POST",
      csrf: true,
      body: JSON.stringify({ checkpoint: future }),
    });
    assert.equal(replay.status, 400);
    assert.equal((await d.store.checkpoints.get()).checkpoint, null, "nothing moved");
  });
});

describe("9. the store is the owner's alone", () => {
  it("creates its folder 0700 and its files 0600", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const folder = join(w.dir, "state");
    assert.equal((await w.once({ DATABASE_URL: `sqlite:${join(folder, "s.sqlite")}` })).code, 0);
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    for (const file of readdirSync(folder)) {
      assert.equal(statSync(join(folder, file)).mode & 0o777, 0o600, file);
    }
  });
});

describe("10. credentials in URLs", () => {
  it("LOGSTASH_URL's user:password is sent as basic auth", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 30 },
      logstash: { user: "shipper", password: "pa:ss/wörd" },
    });
    const url = new URL(w.logstash.url);
    url.username = "shipper";
    url.password = encodeURIComponent("pa:ss/wörd");
    const result = await w.once({ LOGSTASH_URL: url.toString() });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.missing(), []);
  });

  it("credentials in both LOGSTASH_URL and LOGSTASH_USER, or any in AUTH0_DOMAIN, are refused without echo", () => {
    const both = problemsOf({
      ...valid,
      LOGSTASH_URL: "https://u:p4ssw0rd-x@logstash.example.com",
      LOGSTASH_USER: "u",
      LOGSTASH_PASSWORD: "other-pass",
    });
    assert.ok(both.some((p) => p.startsWith("LOGSTASH_URL: carries credentials")));
    const domain = problemsOf({ ...valid, AUTH0_DOMAIN: "https://:pw-SECRET-99@acme.auth0.com" });
    assert.ok(domain.some((p) => p.startsWith("AUTH0_DOMAIN: ")));
    assert.ok(!domain.join("\n").includes("pw-SECRET-99"), domain.join("\n"));
  });
});

describe("12. answers from Auth0 are bounded before they are parsed", () => {
  for (const fault of ["huge", "huge-chunked", "deep", "wide"] as const) {
    it(`${fault}: the execution fails cleanly, nothing committed, the process lives`, async (t) => {
      const w = await world(t, { tenant: { backlog: 150 }, env: { RETRY_MAX_TIME: "2s" } });
      assert.equal((await w.once()).code, 0);
      const before = (await w.stored()).checkpoint;
      w.tenant.addEvents(10);
      w.tenant.failNext(fault, 5);
      const result = await spawnCli(["once"], w.env, w.dir).done;
      assert.equal(result.code, 1, result.stderr.slice(-500));
      assert.match(
        result.stderr,
        /Auth0 logs endpoint sent (an answer larger than 16 MiB|a page (nested deeper than 100 levels|holding more than 500000 values))/,
      );
      assert.doesNotMatch(result.stderr, STACK);
      assert.equal((await w.stored()).checkpoint, before);
    });
  }
});

describe("12. answers from a cluster are bounded before they are parsed", () => {
  it("a GET / of 16 MiB of tiny values is a clear failure, not a dead process", async (t) => {
    // Under the byte bound, and 2 levels deep: only the count of values tells it apart.
    const body = `[${"[[]],".repeat((16 * 1024 * 1024) / 5 - 2)}[]]`;
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const result = await spawnCli(
      ["setup", "--dry-run"],
      { ELASTICSEARCH_URL: `http://127.0.0.1:${port}`, RETRY_MAX_TIME: "1s" },
      tempDir(),
    ).done;
    assert.equal(result.code, 1, result.stderr.slice(-500));
    assert.match(result.stdout + result.stderr, /GET \/ answered something that is not a cluster/);
    assert.doesNotMatch(result.stderr, STACK);
    assert.doesNotMatch(result.stderr, /heap out of memory/);
  });
});

describe("14. credentials over plain http", () => {
  it("are refused unless ALLOW_INSECURE_HTTP=true, then warned about", async () => {
    const insecure = {
      ...valid,
      LOGSTASH_URL: "http://logstash.internal:8080",
      LOGSTASH_USER: "u",
      LOGSTASH_PASSWORD: "a-password",
    };
    assert.ok(problemsOf(insecure).some((p) => /^LOGSTASH_URL: .*ALLOW_INSECURE_HTTP/.test(p)));
    assert.ok(
      problemsOf({ ...valid, LOGSTASH_URL: "http://10.1.2.3:8080", LOGSTASH_TOKEN: "tok-123" })
        .length > 0,
    );
    const allowed = loadConfig({ ...insecure, ALLOW_INSECURE_HTTP: "true" }, { cwd: tempDir() });
    assert.match(allowed.warnings.join("\n"), /travels unencrypted/);
    const cli = await runCli(["check"], {
      ...insecure,
      AUTH0_DOMAIN: "http://127.0.0.1:1",
      LOGSTASH_URL: "http://10.255.255.1:8080",
      ALLOW_INSECURE_HTTP: "true",
      RETRY_MAX_TIME: "0s",
      REQUEST_TIMEOUT: "100ms",
    });
    assert.match(cli.stdout, /travels unencrypted/);
  });
});
