// A store made by the single-tenant release (schema migrations 000001-000004, user_version 4)
// opened by today's: everything it held (checkpoint, its moves, run history, the job's switch and
// schedule, alert state, token cache, lease, dead letters) is kept under the tenant `default`,
// and the next execution resumes at the old checkpoint. A read-only command (status, runs, …)
// reads an older store without upgrading it: that is left to the next run or once.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import pg from "pg";
import { SqliteStore } from "../src/store/sqlite/store.ts";
import { runCli } from "./helpers/cli.ts";
import { postgresUrl, TEST_DATABASE } from "./helpers/postgres.ts";
import { world } from "./helpers/world.ts";

const MIGRATIONS = new URL("../src/store/sqlite/migrations/", import.meta.url);
const OLD_RELEASE = ["000001.sql", "000002.sql", "000003.sql", "000004.sql"];

/** A file as the previous release left it: only its four migrations, then its own writes. */
function oldStore(path: string, checkpoint: string, earlier: string): void {
  assert.ok(readdirSync(MIGRATIONS).includes("000005.sql"), "today's schema is newer");
  const db = new DatabaseSync(path);
  for (const [version, name] of OLD_RELEASE.entries()) {
    db.exec(readFileSync(new URL(name, MIGRATIONS), "utf8"));
    db.exec(`PRAGMA user_version = ${version + 1}`);
  }
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  db.prepare(
    "UPDATE checkpoint SET log_id = ?, start_from_applied = ?, updated_at = ? WHERE id = 1",
  ).run(checkpoint, earlier, at(5));
  db.prepare(
    "INSERT INTO checkpoint_moves (at, from_id, to_id, reason) VALUES (?, ?, ?, 'replay')",
  ).run(at(50), checkpoint, earlier);
  db.prepare("INSERT INTO tokens (key, access_token, expires_at) VALUES (?, ?, ?)").run(
    "token-key",
    "old-access-token",
    Date.now() + 3_600_000,
  );
  const run = db.prepare(
    `INSERT INTO runs (trigger, started_at, ended_at, outcome, read, sent, filtered, rejected,
       batches, retries, first_checkpoint, last_checkpoint, warnings, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  run.run("schedule", at(40), at(39), "failed", 10, 9, 0, 1, 1, 3, earlier, earlier, "[]", "boom");
  run.run(
    "schedule",
    at(10),
    at(9),
    "success",
    30,
    28,
    1,
    1,
    1,
    0,
    earlier,
    checkpoint,
    '["old"]',
    null,
  );
  const job = db.prepare("INSERT INTO job (key, value, updated_at) VALUES (?, ?, ?)");
  job.run("enabled", "false", at(8));
  job.run("schedule", "*/10 * * * *", at(8));
  job.run("alert_state", '{"failures":0}', at(8));
  job.run("dashboard_password_hash", "scrypt$old-hash", at(60));
  db.prepare(
    "INSERT INTO leases (job, holder, epoch, expires_at, info) VALUES ('default', ?, 7, ?, ?)",
  ).run(
    "old-host:4242:abc",
    Date.now() - 60_000,
    JSON.stringify({ id: "old-host:4242:abc", host: "old-host", pid: 4242, command: "run" }),
  );
  db.prepare(
    `INSERT INTO dead_letters (log_id, run_id, sink, status, reason, document, created_at)
     VALUES (?, 2, 'Elasticsearch http://es:9200 index logs-auth0.export-default', 400, ?, ?, ?)`,
  ).run(earlier, "mapper_parsing_exception: details", JSON.stringify({ log_id: earlier }), at(9));
  db.close();
}

describe("a store from the single-tenant release", () => {
  it("keeps its checkpoint, runs, switch, schedule, tokens, lease and dead letters under tenant default", async (t) => {
    const w = await world(t, { tenant: { backlog: 50 } });
    const path = join(w.dir, "state.sqlite");
    const ids = w.tenant.eventIds();
    const checkpoint = ids[29] as string;
    const earlier = ids[9] as string;
    oldStore(path, checkpoint, earlier);

    const store = new SqliteStore(path);
    try {
      const probe = new DatabaseSync(path, { readOnly: true });
      const { user_version } = probe.prepare("PRAGMA user_version").get() as {
        user_version: number;
      };
      probe.close();
      assert.equal(user_version, readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql")).length);

      const job = store.forJob("default");
      const state = await job.checkpoints.get();
      assert.equal(state.checkpoint, checkpoint);
      assert.equal(state.startFromApplied, earlier);
      assert.deepEqual(await job.checkpoints.lastMove(), { id: 1, reason: "replay" });
      const runs = await job.runs.list({ limit: 10 });
      assert.deepEqual(
        runs.map((r) => [r.id, r.outcome, r.read, r.sent, r.rejected, r.retries, r.error]),
        [
          [2, "success", 30, 28, 1, 0, null],
          [1, "failed", 10, 9, 1, 3, "boom"],
        ],
      );
      assert.deepEqual(runs[0]?.warnings, ["old"]);
      assert.deepEqual(
        runs.map((r) => r.streamed),
        [0, 0],
        "none left out for a Log Stream",
      );
      assert.equal(runs[0]?.lastCheckpoint, checkpoint);
      assert.equal(await job.state.get("enabled"), "false");
      assert.equal(await job.state.get("schedule"), "*/10 * * * *");
      assert.equal(await job.state.get("alert_state"), '{"failures":0}');
      assert.equal(await job.state.get("dashboard_password_hash"), null, "a process value now");
      assert.equal(await store.process.get("dashboard_password_hash"), "scrypt$old-hash");
      const token = await job.tokens.get("token-key");
      assert.equal(token?.accessToken, "old-access-token");
      assert.equal(token?.credentials, "", "bound to no credentials: the provider won't reuse it");
      assert.deepEqual(await job.deadLetters.count(), { pending: 1, resolved: 0 });
      const [letter] = await job.deadLetters.list({ state: "pending", limit: 10 });
      assert.equal(letter?.logId, earlier);
      assert.equal(letter?.runId, 2);
      assert.equal(letter?.reason, "mapper_parsing_exception: details");
      assert.equal(await job.leases.holder(), null, "the old lease had lapsed");

      // None of it is another tenant's.
      const other = store.forJob("other");
      assert.equal((await other.checkpoints.get()).checkpoint, null);
      assert.deepEqual(await other.runs.list({ limit: 10 }), []);
      assert.equal(await other.state.get("enabled"), null);
      assert.equal(await other.tokens.get("token-key"), null);
      assert.deepEqual(await other.deadLetters.count(), { pending: 0, resolved: 0 });
    } finally {
      await store.close();
    }

    // The commands read it as before, and the next execution resumes at the old checkpoint.
    const status = await runCli(["status"], w.env, w.dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^State: {7}disabled/m);
    assert.match(status.stdout, /^Schedule: {4}\*\/10 \* \* \* \*/m);
    assert.match(status.stdout, new RegExp(`^Checkpoint:  ${checkpoint}$`, "m"));
    assert.match(status.stdout, /^Dead letters: 1 waiting/m);
    const once = await w.once({ START_FROM: earlier });
    assert.equal(once.code, 0, once.stderr);
    assert.deepEqual(w.missing(), ids.slice(0, 30), "START_FROM applied already: not again");
    assert.deepEqual(w.duplicates(), []);
    const { checkpoint: after, runs } = await w.stored();
    assert.equal(after, w.tenant.eventIds().at(-1));
    assert.deepEqual(
      runs.map((r) => r.id),
      [3, 2, 1],
    );
  });
});

describe("an older store opened by a read-only command", () => {
  it("SQLite: status and runs read it through its upgrade, and leave the file as it was", async (t) => {
    const w = await world(t, { tenant: { backlog: 50 } });
    const path = join(w.dir, "state.sqlite");
    const ids = w.tenant.eventIds();
    oldStore(path, ids[29] as string, ids[9] as string);
    const before = readFileSync(path);

    const status = await runCli(["status"], w.env, w.dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^Checkpoint:  ${ids[29]}$`, "m"));
    assert.match(status.stdout, /^State: {7}disabled/m);
    const runs = JSON.parse((await runCli(["runs", "--json"], w.env, w.dir)).stdout);
    assert.deepEqual(
      runs.map((r: { id: number; outcome: string }) => [r.id, r.outcome]),
      [
        [2, "success"],
        [1, "failed"],
      ],
    );
    assert.match((await runCli(["dead-letters"], w.env, w.dir)).stdout, /^1 pending/);
    assert.match((await runCli(["schedule"], w.env, w.dir)).stdout, /^Schedule: \*\/10 /);

    assert.ok(readFileSync(path).equals(before), "not a byte changed");
    assert.deepEqual(
      readdirSync(w.dir).filter((name) => name.startsWith("state.sqlite")),
      ["state.sqlite"],
    );
  });

  it("PostgreSQL: runs reads it through its upgrade, which it rolls back", async (t) => {
    const url = await postgresUrl(t);
    const schema = new URL(url).searchParams.get("schema") as string;
    const client = new pg.Client({ connectionString: TEST_DATABASE });
    await client.connect();
    t.after(() => client.end());
    // As the first PostgreSQL release left it: migration 1 only, and a run.
    const first = readFileSync(
      new URL("../src/store/postgres/migrations/000001.sql", import.meta.url),
      "utf8",
    );
    await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
    await client.query(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    await client.query(first);
    await client.query("INSERT INTO schema_migrations (version) VALUES (1)");
    await client.query(
      "INSERT INTO runs (job, trigger, started_at, ended_at, outcome, read, sent) VALUES ('default', 'schedule', now(), now(), 'success', 7, 7)",
    );

    const env = { DATABASE_URL: url };
    const runs = await runCli(["runs", "--json"], env);
    assert.equal(runs.code, 0, runs.stderr);
    assert.deepEqual(
      JSON.parse(runs.stdout).map((r: { sent: number; committedEpochs: unknown }) => [
        r.sent,
        r.committedEpochs,
      ]),
      [[7, null]],
    );
    assert.equal((await runCli(["status"], env)).code, 0);

    const version = await client.query("SELECT MAX(version) AS v FROM schema_migrations");
    assert.equal(version.rows[0]?.v, 1, "not upgraded");
    const columns = await client.query(
      "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'runs' AND column_name = 'committed_epoch_low'",
      [schema],
    );
    assert.equal(columns.rowCount, 0, "migration 2 rolled back");
  });
});
