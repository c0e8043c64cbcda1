// `verify` and `--repair`: every event of a period the tenant's filters keep is looked up in the
// index; documents removed behind the sink's back are found exactly (no false positive with
// filters, dead letters, either document format), repaired without duplicates, and a second
// verify exits 0. With Logstash, the index its pipeline writes to is read (VERIFY_*).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startLogstash } from "../simulator/logstash.ts";
import { type SearchFake, startSearch } from "../simulator/search/index.ts";
import { runCli } from "./helpers/cli.ts";
import { dashboardFor } from "./helpers/dashboard.ts";
import { world } from "./helpers/world.ts";

const TARGET = "logs-auth0.export-default";

interface VerifyJson {
  totals: {
    atAuth0: number;
    filtered: number;
    present: number;
    missing: number;
    deadLettered: number;
    unsent: number;
  };
  hours: { hour: string; atAuth0: number }[];
  missing: string[];
  deadLettered: string[];
  repair: { sent: number; rejected: string[]; stillMissing: string[]; runId: number } | null;
}

const json = (stdout: string) => JSON.parse(stdout) as VerifyJson;

/** Every `step`-th id of `ids` (ids the sink indexed), `count` of them. */
function some(ids: string[], count: number, step = 7): string[] {
  return Array.from({ length: count }, (_, i) => ids[(i * step) % ids.length] as string);
}

describe("verify against the sink's cluster", () => {
  for (const format of ["ecs", "extension"] as const) {
    it(`${format} documents, LOG_TYPES on: finds exactly the removed ones, --repair puts them back once, a second verify exits 0`, async (t) => {
      const w = await world(t, {
        tenant: { backlog: 500 },
        search: { product: "elasticsearch", version: "8.17.0" },
        env: { DOCUMENT_FORMAT: format, LOG_TYPES: "s,f,fp,slo" },
      });
      assert.equal((await w.once()).code, 0);
      const search = w.search as SearchFake;
      const indexed = [...search.documents(TARGET).keys()].sort();
      const kept = w.tenant.eventIds().filter((id) => indexed.includes(id));
      assert.ok(kept.length > 100 && kept.length < w.tenant.log.size, "the filters left some out");
      const removed = [...new Set(some(kept, 9))].sort();
      assert.equal(search.removeDocuments(TARGET, removed), removed.length);

      const first = await runCli(["verify", "--since", "2h", "--json"], w.env, w.dir);
      assert.equal(first.code, 1, first.stderr);
      const found = json(first.stdout);
      assert.deepEqual(found.missing, removed);
      assert.equal(found.totals.missing, removed.length);
      assert.equal(found.totals.present, kept.length - removed.length);
      assert.equal(
        found.totals.filtered + found.totals.present + found.totals.missing + found.totals.unsent,
        found.totals.atAuth0,
      );
      assert.equal(
        found.hours.reduce((sum, h) => sum + h.atAuth0, 0),
        found.totals.atAuth0,
      );

      const repair = await runCli(["verify", "--since", "2h", "--repair", "--json"], w.env, w.dir);
      assert.equal(repair.code, 0, repair.stderr + repair.stdout);
      assert.equal(json(repair.stdout).repair?.sent, removed.length);
      assert.deepEqual(json(repair.stdout).repair?.stillMissing, []);
      assert.deepEqual(w.duplicates(), [], "repaired once each");
      assert.ok(removed.every((id) => search.documents(TARGET).has(id)));

      const second = await runCli(["verify", "--since", "2h"], w.env, w.dir);
      assert.equal(second.code, 0, second.stdout);
      assert.match(second.stdout, /Nothing is missing\./);
      const status = await runCli(["status"], w.env, w.dir);
      assert.match(status.stdout, /Verified: +.* events at Auth0, nothing missing/);
      const { runs, checkpoint } = await w.stored();
      assert.deepEqual(
        runs.slice(0, 4).map((run) => [run.trigger, run.outcome]),
        [
          ["verify", "success"],
          ["repair", "success"],
          ["verify", "failed"],
          ["verify", "failed"],
        ],
      );
      assert.equal(runs[1]?.sent, removed.length);
      assert.equal(checkpoint, runs[4]?.lastCheckpoint, "neither moved the checkpoint");
    });
  }

  it("a dead letter is known, not missing; only the documents removed are", async (t) => {
    // Without our template the cluster maps dynamically: some varied documents are refused.
    const w = await world(t, {
      tenant: { backlog: 400, variedDetails: true },
      search: { product: "elasticsearch", version: "8.17.0" },
      env: { ELASTICSEARCH_SETUP: "off" },
    });
    assert.equal((await w.once()).code, 0);
    const rejected = (await w.stored()).runs[0]?.rejected ?? 0;
    assert.ok(rejected > 0, "some documents were refused");
    const search = w.search as SearchFake;
    const removed = [...new Set(some([...search.documents(TARGET).keys()], 5, 11))].sort();
    search.removeDocuments(TARGET, removed);
    const result = await runCli(["verify", "--json"], w.env, w.dir);
    assert.equal(result.code, 1, result.stderr);
    const found = json(result.stdout);
    assert.deepEqual(found.missing, removed);
    assert.equal(found.totals.deadLettered, rejected);
    const letters = await w.withStore((store) =>
      store.forJob("default").deadLetters.list({ state: "pending", limit: 1000 }),
    );
    assert.deepEqual(found.deadLettered.sort(), letters.map((l) => l.logId).sort());
    // The dashboard's tenant overview shows the last verification.
    const d = await dashboardFor(t, w);
    await d.signIn();
    const status = (await (await d.request("/api/tenants/default/status")).json()) as {
      verification: { missing: number; text: string };
    };
    assert.equal(status.verification.missing, removed.length);
    assert.match(
      status.verification.text,
      new RegExp(`${removed.length} missing .*${rejected} dead letters`),
    );
  });

  it("a writer without the read privilege: exit 1 and the reason", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 20 },
      search: {
        product: "elasticsearch",
        version: "8.17.0",
        privileges: "write-only",
        basic: { user: "writer", password: "writer-pw-1" },
      },
      env: {
        ELASTICSEARCH_USER: "writer",
        ELASTICSEARCH_PASSWORD: "writer-pw-1",
        ELASTICSEARCH_SETUP: "off",
        RETRY_MAX_TIME: "1s",
      },
    });
    assert.equal((await w.once()).code, 0);
    const result = await runCli(["verify"], w.env, w.dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /read privilege on logs-auth0\.export-default/);
  });
});

describe("verify with Logstash: the index the pipeline writes to", () => {
  it("VERIFY_ELASTICSEARCH_URL, VERIFY_INDEX, VERIFY_ID_FIELD=log_id: missing found, re-sent through Logstash", async (t) => {
    const search = await startSearch({ product: "opensearch", version: "2.17.1" });
    t.after(() => search.close());
    // A pipeline: what Logstash accepted is indexed with ids of the cluster's own.
    const forwarding = new Set<Promise<unknown>>();
    const logstash = await startLogstash({
      onRecorded: (ids) => {
        const events = logstash.received.slice(-ids.length);
        const body = events.map((e) => `{"create":{}}\n${JSON.stringify(e)}\n`).join("");
        const sent = fetch(`${search.url}/auth0-logstash/_bulk?refresh=true`, {
          method: "POST",
          headers: { "content-type": "application/x-ndjson" },
          body,
        }).then((r) => r.text());
        forwarding.add(sent);
        void sent.finally(() => forwarding.delete(sent));
      },
    });
    t.after(() => logstash.close());
    const w = await world(t, {
      tenant: { backlog: 300 },
      env: {
        LOGSTASH_URL: logstash.url,
        VERIFY_ELASTICSEARCH_URL: search.url,
        VERIFY_INDEX: "auth0-logstash*",
        VERIFY_ID_FIELD: "log_id",
      },
    });
    assert.equal((await w.once()).code, 0);
    await Promise.all(forwarding);
    const docs = search.documents("auth0-logstash");
    const byLogId = new Map([...docs].map(([id, doc]) => [(doc as { log_id: string }).log_id, id]));
    const removed = [...new Set(some([...byLogId.keys()], 6))].sort();
    search.removeDocuments(
      "auth0-logstash",
      removed.map((id) => byLogId.get(id) as string),
    );
    const first = await runCli(["verify", "--json"], w.env, w.dir);
    assert.equal(first.code, 1, first.stderr);
    assert.deepEqual(json(first.stdout).missing, removed);
    const status = await runCli(["status", "--json"], w.env, w.dir);
    assert.equal(JSON.parse(status.stdout).verification.missing, removed.length);
    const repair = await runCli(["verify", "--repair"], w.env, w.dir);
    assert.equal(repair.code, 0, repair.stdout + repair.stderr);
    assert.match(repair.stdout, /re-sent 6 events; every one is in the index now/);
    assert.ok(removed.every((id) => (logstash.idCounts().get(id) ?? 0) === 2));
    const second = await runCli(["verify"], w.env, w.dir);
    assert.equal(second.code, 0, second.stdout);
  });

  it("a cluster that does not answer: exit 1 naming it, its credentials never shown", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 20 },
      env: {
        VERIFY_ELASTICSEARCH_URL: "http://reader:s3cret-pw-9@127.0.0.1:1",
        RETRY_MAX_TIME: "1s",
      },
    });
    assert.equal((await w.once()).code, 0);
    const result = await runCli(["verify"], w.env, w.dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /127\.0\.0\.1:1/);
    assert.doesNotMatch(result.stderr + result.stdout, /s3cret-pw-9/);
  });

  it("without VERIFY_ELASTICSEARCH_URL: exit 2, saying what to set", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const result = await runCli(["verify"], w.env, w.dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /set VERIFY_ELASTICSEARCH_URL/);
  });
});

describe("verify: arguments", () => {
  it("bad times name their argument (exit 2); a period beyond AUTH0_LOG_RETENTION is refused", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 5 },
      search: { product: "elasticsearch", version: "8.17.0" },
      env: { AUTH0_LOG_RETENTION: "1d" },
    });
    const cases: [string[], RegExp][] = [
      [["--since", "yesterday"], /--since: "yesterday": not an ISO 8601 time/],
      [["--until", "2h", "--since", "1h"], /--until: .* is not after the start/],
      [["--from", "123"], /--from: "123": not an Auth0 log id/],
      [["--since", "1h", "--from", "9".repeat(56)], /give one of them, not both/],
      [
        ["--since", "3d"],
        /--since: the period starts at .*AUTH0_LOG_RETENTION=1d.*no longer has those events/,
      ],
      [["--since", "2099-01-01T00:00:00Z"], /--since: .* is in the future/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["verify", ...args], w.env, w.dir);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
    }
  });
});
