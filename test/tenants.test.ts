// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is what a tenants file holds
// Several tenants in one deployment, on the command line: every command that reads or changes a
// job takes --tenant and touches that tenant only; without it, with several tenants, it is a usage
// error naming them (status lists them all, check checks them all); a tenants file with problems
// is refused with every problem at once, named by path and line, secrets never echoed.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startSearch } from "../simulator/search/index.ts";
import { checkpointAt } from "../src/auth0/checkpoint.ts";
import type { Store } from "../src/interfaces.ts";
import { spawnCli } from "./helpers/cli.ts";
import { deploymentWorld, FILE } from "./helpers/tenants.ts";

const two = { tenants: { a: { auth0: { backlog: 20 } }, b: { auth0: { backlog: 40 } } } };

/** Keeps one refused document as a dead letter of `job`, as a sink's refusal would. */
async function plantDeadLetter(store: Store, job: string, logId: string): Promise<void> {
  const s = store.forJob(job);
  const from = checkpointAt(new Date(Date.now() - 7_200_000));
  await s.checkpoints.set(from, { kind: "initial", lookbackMs: 7_200_000 });
  const run = await s.runs.start("manual", from, null);
  const step = {
    checkpoint: logId,
    counts: { read: 1, sent: 0, filtered: 0, streamed: 0, rejected: 1, batches: 1 },
    deadLetters: [
      { id: logId, status: 400, reason: "mapper_parsing_exception", document: { log_id: logId } },
    ],
    sink: "test sink",
  };
  await s.checkpoints.commit(run, from, step, null);
  await s.runs.finish(run, { outcome: "success", retries: 0, warnings: [], error: null });
}

describe("tenants on the command line", () => {
  it("once --tenant exports that tenant only; without --tenant, or with an unknown one, exits 2 naming the tenants", async (t) => {
    const d = await deploymentWorld(t, two);
    const a = d.tenant("a");
    const b = d.tenant("b");

    const ambiguous = await d.cli(["once"]);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /--tenant: this deployment has 2 tenants; name one: a, b/);

    const unknown = await d.cli(["once", "--tenant", "nope"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--tenant: no tenant "nope"; tenants: a, b/);
    assert.equal(a.logstash.requests.length + b.logstash.requests.length, 0);

    const once = await d.cli(["once", "--tenant", "a", "--json"]);
    assert.equal(once.code, 0, once.stderr);
    assert.deepEqual(a.missing(), []);
    assert.equal(b.logstash.requests.length, 0, "b's Logstash heard nothing");
    assert.equal(b.auth0.stats.logRequests + b.auth0.stats.tokenRequests, 0, "b's Auth0 neither");
    assert.equal(JSON.parse(once.stdout).sent, a.auth0.eventIds().length);
    assert.equal((await d.stored("b")).checkpoint, null);
    assert.equal((await d.stored("b")).runs.length, 0);

    for (const command of ["status", "runs", "enable", "dead-letters", "replay"]) {
      const args = command === "replay" ? ["--since", "2026-11-20T08:00:00Z"] : [];
      const result = await d.cli([command, "--tenant", "nope", ...args]);
      assert.equal(result.code, 2, command);
      assert.match(result.stderr, /no tenant "nope"; tenants: a, b/, command);
    }
  });

  it("status without --tenant is one table of every tenant; status --tenant b is b's alone", async (t) => {
    const d = await deploymentWorld(t, two);
    assert.equal((await d.cli(["once", "--tenant", "a"])).code, 0);
    assert.equal((await d.cli(["disable", "--tenant", "b"])).code, 0);

    const all = await d.cli(["status"]);
    assert.equal(all.code, 0, all.stderr);
    const [header, ...rows] = all.stdout.trimEnd().split("\n");
    assert.match(
      header ?? "",
      /^TENANT\s+HEALTH\s+LAST RUN \(UTC\)\s+LAG\s+FAILING\s+DEAD\s+HELD BY$/,
    );
    assert.equal(rows.length, 2, all.stdout);
    assert.match(
      rows[0] ?? "",
      /^a\s+ok\s+success \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S+\s+0\s+0\s+—$/,
    );
    assert.match(rows[1] ?? "", /^b\s+disabled\s+—\s+—\s+0\s+0\s+—$/);

    const json = JSON.parse((await d.cli(["status", "--json"])).stdout);
    assert.deepEqual(
      json.map((s: { id: string; enabled: boolean }) => [s.id, s.enabled]),
      [
        ["a", true],
        ["b", false],
      ],
    );

    const one = await d.cli(["status", "--tenant", "b"]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^Tenant: {6}b$/m);
    assert.match(one.stdout, /^State: {7}disabled/m);
    assert.match(one.stdout, /^Checkpoint: {2}none yet/m);
    assert.match(one.stdout, /^No runs yet\.$/m);
    const oneA = await d.cli(["status", "--tenant", "a"]);
    assert.match(oneA.stdout, /^Tenant: {6}a$/m);
    assert.match(oneA.stdout, /^Checkpoint: {2}\d{56}$/m);
  });

  it("runs, replay, enable, disable and dead-letters with --tenant b touch b only", async (t) => {
    const d = await deploymentWorld(t, two);
    const a = d.tenant("a");
    const b = d.tenant("b");
    assert.equal((await d.cli(["once", "--tenant", "a"])).code, 0);
    const before = await d.stored("a");

    // Without --tenant each of them is ambiguous, and changes nothing.
    for (const args of [
      ["runs"],
      ["disable"],
      ["dead-letters"],
      ["replay", "--since", "2026-11-20T08:00:00Z"],
    ]) {
      const result = await d.cli(args);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, /this deployment has 2 tenants; name one: a, b/);
    }

    assert.equal((await d.cli(["runs", "--tenant", "b"])).stdout, "No runs.\n");
    assert.match((await d.cli(["runs", "--tenant", "a"])).stdout, /success/);
    const runOfA = String(before.runs[0]?.id);
    assert.equal((await d.cli(["runs", "show", runOfA, "--tenant", "a"])).code, 0);
    const notB = await d.cli(["runs", "show", runOfA, "--tenant", "b"]);
    assert.equal(notB.code, 1, "a's run is not b's");
    assert.match(notB.stderr, /there is no run/);

    const set = await d.cli(["schedule", "set", "7m", "--tenant", "b"]);
    assert.match(set.stdout, /^Schedule: 7m \(stored;/);
    assert.match(
      (await d.cli(["schedule", "--tenant", "a"])).stdout,
      /^Schedule: \*\/5 \* \* \* \* \(SCHEDULE\)/,
    );

    assert.equal((await d.cli(["disable", "--tenant", "b"])).stdout, "Tenant b disabled.\n");
    const disabled = JSON.parse((await d.cli(["status", "--json"])).stdout);
    assert.deepEqual(
      disabled.map((s: { enabled: boolean }) => s.enabled),
      [true, false],
    );
    assert.equal((await d.cli(["enable", "--tenant", "b"])).stdout, "Tenant b enabled.\n");
    const enabled = JSON.parse((await d.cli(["status", "--tenant", "b", "--json"])).stdout);
    assert.equal(enabled.enabled, true);

    const from = b.auth0.eventIds()[9] as string;
    const replay = await d.cli(["replay", "--tenant", "b", "--from", from]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, new RegExp(`Checkpoint moved from none to ${from}`));
    assert.equal((await d.stored("b")).checkpoint, from);
    const after = await d.stored("a");
    assert.equal(after.checkpoint, before.checkpoint, "a's checkpoint stayed");
    assert.deepEqual(after.runs, before.runs, "a's history too");
    const bRuns = JSON.parse((await d.cli(["runs", "--tenant", "b", "--json"])).stdout);
    assert.deepEqual(
      bRuns.map((r: { trigger: string }) => r.trigger),
      ["replay"],
    );
    // The replay is b's: its next execution re-sends from there, to b's Logstash.
    assert.equal((await d.cli(["once", "--tenant", "b"])).code, 0);
    assert.deepEqual(
      b.auth0
        .eventIds()
        .slice(0, 10)
        .filter((id) => b.logstash.idCounts().has(id)),
      [],
      "nothing before the replayed checkpoint was sent",
    );

    const refused = b.auth0.eventIds()[0] as string;
    await d.withStore((store) => plantDeadLetter(store, "b", refused));
    const listB = JSON.parse((await d.cli(["dead-letters", "--tenant", "b", "--json"])).stdout);
    assert.deepEqual(listB.counts, { pending: 1, resolved: 0 });
    assert.equal(listB.deadLetters[0].logId, refused);
    const listA = await d.cli(["dead-letters", "list", "--tenant", "a"]);
    assert.equal(listA.stdout, "0 pending, 0 resolved.\n");
    const letter = String(listB.deadLetters[0].id);
    const showA = await d.cli(["dead-letters", "show", letter, "--tenant", "a"]);
    assert.equal(showA.code, 1, "b's letter is not a's");
    const requestsOfA = a.logstash.requests.length;
    const retry = await d.cli(["dead-letters", "retry", "--all", "--tenant", "b"]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /Re-sent 1: 1 delivered, 0 refused again/);
    assert.equal(a.logstash.requests.length, requestsOfA, "re-sent through b's sink, not a's");
    assert.equal(b.logstash.idCounts().get(refused), 1);
    const deleted = await d.cli(["dead-letters", "delete", "--resolved", "--tenant", "b"]);
    assert.equal(deleted.stdout, "Deleted 1 dead letter(s).\n");
  });

  it("check checks every tenant, each line naming it; check --tenant b checks b alone", async (t) => {
    const d = await deploymentWorld(t, two);
    const a = d.tenant("a");
    const b = d.tenant("b");
    const all = await d.cli(["check"]);
    assert.equal(all.code, 0, all.stdout + all.stderr);
    for (const id of ["a", "b"]) {
      for (const step of [
        "settings",
        "store",
        "Auth0 token",
        "Auth0 logs \\(one page\\)",
        "Logstash",
      ]) {
        assert.match(all.stdout, new RegExp(`^\\[${id}\\] ok {4}${step}`, "m"), `${id}: ${step}`);
      }
    }
    assert.deepEqual(
      [a.logstash.requests.length, b.logstash.requests.length],
      [1, 1],
      "each tenant's own Logstash got its empty POST",
    );

    // One tenant failing fails the check, and says which.
    b.auth0.setFaults({ rate: 1, kinds: ["400"] });
    const failing = await d.cli(["check"]);
    assert.equal(failing.code, 1);
    assert.match(failing.stdout, /^\[a\] ok {4}Auth0 logs \(one page\)/m);
    assert.match(failing.stdout, /^\[b\] FAIL {2}Auth0 logs \(one page\): /m);

    b.auth0.setFaults(null);
    const checkedA = a.logstash.requests.length;
    const one = await d.cli(["check", "--tenant", "b"]);
    assert.equal(one.code, 0, one.stdout);
    assert.doesNotMatch(one.stdout, /^\[/m, "b's steps only, unprefixed");
    assert.match(one.stdout, new RegExp(`^ok {4}settings \\(Auth0 ${b.auth0.url}, `, "m"));
    assert.equal(a.logstash.requests.length, checkedA, "a was not checked");
  });
});

describe("setup with a tenants file", () => {
  it("prepares each cluster and target once, naming the tenants that write there; Logstash-only tenants are skipped", async (t) => {
    const search = await startSearch();
    t.after(() => search.close());
    const d = await deploymentWorld(t, {
      tenants: {
        a: { elasticsearch: search.url },
        b: { elasticsearch: search.url },
        c: {},
        d: { elasticsearch: search.url, settings: { ELASTICSEARCH_INDEX: "logs-auth0.export-d" } },
      },
    });
    const result = await d.cli(["setup"]);
    assert.equal(result.code, 0, result.stderr);
    const sections = result.stdout.split("\n\n");
    assert.equal(sections.length, 2, result.stdout);
    assert.match(
      sections[0] ?? "",
      /^Tenants a, b:\nElasticsearch 8\.17\.0 at http:\/\/127\.0\.0\.1:\d+\/; target logs-auth0\.export-default \(ecs documents\)\n/,
    );
    assert.match(sections[0] ?? "", /^index template\s+auth0-logs-to-logstash\s+installed$/m);
    assert.match(
      sections[1] ?? "",
      /^Tenants d:\n.*target logs-auth0\.export-d \(ecs documents\)\n/,
    );
    assert.match(sections[1] ?? "", /^index template\s+auth0-logs-to-logstash\s+up to date$/m);
    assert.doesNotMatch(result.stdout, /\bc\b/, "c writes to Logstash: nothing to set up");

    const puts = search.requests.filter((r) => r.method === "PUT").length;
    const again = await d.cli(["setup"]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /installed|updated/);
    assert.equal(search.requests.filter((r) => r.method === "PUT").length, puts);

    const one = await d.cli(["setup", "--tenant", "d", "--dry-run"]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^Tenants d:\n/);
    assert.doesNotMatch(one.stdout, /Tenants a|export-default/);
  });

  it("--tenant names one tenant: unknown, or one without a cluster, exits 2", async (t) => {
    const search = await startSearch();
    t.after(() => search.close());
    const d = await deploymentWorld(t, {
      tenants: { a: { elasticsearch: search.url }, c: {} },
    });
    const unknown = await d.cli(["setup", "--tenant", "nope"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: --tenant: no tenant "nope"; tenants: a, c$/m);
    const logstash = await d.cli(["setup", "--tenant", "c"]);
    assert.equal(logstash.code, 2);
    assert.match(logstash.stderr, /^error: tenants\.c\.ELASTICSEARCH_URL: required by setup/m);
    assert.equal(search.requests.length, 0, "nothing was asked of the cluster");

    const only = await d.cli(["setup", "--tenant", "a"]);
    assert.equal(only.code, 0, only.stderr);
    assert.match(only.stdout, /^Tenants a:\n/);
  });

  // What setup installs is named by the family of names it covers (setupName): tenants writing
  // elsewhere on one cluster keep their own templates and policies.
  it("two tenants writing plain indices to one cluster keep each other's template", async (t) => {
    const search = await startSearch();
    t.after(() => search.close());
    const d = await deploymentWorld(t, {
      tenants: {
        a: { elasticsearch: search.url, settings: { ELASTICSEARCH_INDEX: "auth0-a" } },
        b: { elasticsearch: search.url, settings: { ELASTICSEARCH_INDEX: "auth0-b" } },
      },
    });
    const first = await d.cli(["setup"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /auth0-logs-to-logstash-auth0-a\b/);
    assert.match(first.stdout, /auth0-logs-to-logstash-auth0-b\b/);
    const second = await d.cli(["setup"]);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /installed|updated/, second.stdout);
  });

  it("refuses tenants that would install one template differently, naming them", async (t) => {
    const search = await startSearch();
    t.after(() => search.close());
    const d = await deploymentWorld(t, {
      tenants: {
        a: { elasticsearch: search.url, settings: { ELASTICSEARCH_INDEX: "logs-auth0.export-a" } },
        b: {
          elasticsearch: search.url,
          settings: { ELASTICSEARCH_INDEX: "logs-auth0.export-b", ELASTICSEARCH_RETENTION: "7d" },
        },
      },
    });
    for (const args of [["setup"], ["check"]]) {
      const result = await d.cli(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /tenants a, b: write to one family of names .*auth0-logs-to-logstash\)/,
      );
    }
  });
});

describe("a tenants file with problems", () => {
  const broken = (d: { yaml(): string }) =>
    d
      .yaml()
      .replace("tenants:\n", "BATCH_SIZE: ${BATCH}\ntenants:\n")
      .replace("  b:\n", "  b:\n    BATCH_SIZE: 0\n    SCHEDULE: every now and then\n");

  it("is refused by every command with exit 2, every problem at once with its path and line, no secret echoed", async (t) => {
    const d = await deploymentWorld(t, two);
    const secretBatch = "batch-secret-5f2e9";
    const text = d.write(broken(d));
    const lines = text.split("\n");
    const line = (fragment: string) => lines.findIndex((l) => l.includes(fragment)) + 1;
    const expected = [
      `error: BATCH_SIZE (${FILE}:${line("BATCH_SIZE: ${BATCH}")}): must be a whole number from 1 to 100`,
      `error: tenants.b.BATCH_SIZE (${FILE}:${line("BATCH_SIZE: 0")}): must be a whole number from 1 to 100, got "0"`,
      `error: tenants.b.SCHEDULE (${FILE}:${line("SCHEDULE: every")}): must be a cron expression`,
    ];
    for (const args of [
      ["once", "--tenant", "a"],
      ["check"],
      ["status"],
      ["runs", "--tenant", "a"],
      ["run"],
    ]) {
      const result = await d.cli(args, { BATCH: secretBatch });
      const said = result.stdout + result.stderr;
      assert.equal(result.code, 2, `${args.join(" ")}: ${said}`);
      for (const problem of expected) {
        assert.ok(result.stderr.includes(problem), `${args[0]} lacks ${problem}:\n${said}`);
      }
      for (const secret of [secretBatch, d.tenant("a").secret, d.tenant("b").secret]) {
        assert.ok(!said.includes(secret), `${args[0]} echoed a secret:\n${said}`);
      }
      assert.ok(!said.includes("    at "), "no stack trace");
    }
    assert.equal(d.tenant("a").auth0.stats.tokenRequests, 0, "nothing ran");
  });

  it("--config names the file as CONFIG_FILE does, and the executable exits 2 on its problems", async (t) => {
    const d = await deploymentWorld(t, two);
    d.write(broken(d));
    const { CONFIG_FILE: _file, ...env } = d.env;
    const result = await spawnCli(
      ["once", "--config", FILE, "--tenant", "a"],
      { ...env, BATCH: "7x" },
      d.dir,
    ).done;
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: tenants\.b\.BATCH_SIZE \(tenants\.yaml:\d+\): /m);
    assert.match(result.stderr, /^error: BATCH_SIZE \(tenants\.yaml:\d+\): /m);
    assert.ok(!result.stderr.includes("7x"), "a value from ${VAR} is not quoted");
    const missing = await d.cli(["status", "--config", "nowhere.yaml"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: CONFIG_FILE: cannot read nowhere\.yaml: no such file/m);
  });
});
