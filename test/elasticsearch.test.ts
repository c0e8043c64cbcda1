// The Elasticsearch/OpenSearch sink against the fake cluster: every event indexed exactly once,
// whatever the product; documents the cluster refuses kept as dead letters and re-sent once the
// cause is fixed; setup idempotent; each way to authenticate; failures retried per item.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMessage, startSlack } from "../simulator/slack.ts";
import { runCli, spawnCli } from "./helpers/cli.ts";
import { dashboardFor } from "./helpers/dashboard.ts";
import { serviceFor } from "./helpers/service.ts";
import { STORE_DRIVERS } from "./helpers/stores.ts";
import { world } from "./helpers/world.ts";

const TARGET = "logs-auth0.export-default";
const products = [
  { product: "elasticsearch", version: "8.17.0" },
  { product: "elasticsearch", version: "9.1.2" },
  { product: "opensearch", version: "2.17.1" },
  { product: "opensearch", version: "3.1.0" },
] as const;

describe("Elasticsearch sink: exactly once", () => {
  for (const cluster of products) {
    it(`drains a varied backlog into ${cluster.product} ${cluster.version}: each event indexed once, none refused`, async (t) => {
      const w = await world(t, {
        tenant: { backlog: 600, variedDetails: true },
        search: cluster,
      });
      const result = await w.once();
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(w.missing(), []);
      assert.deepEqual(w.duplicates(), []);
      const search = w.search as NonNullable<typeof w.search>;
      assert.equal(search.documents(TARGET).size, w.tenant.log.size);
      const [run] = (await w.stored()).runs;
      assert.equal(run?.rejected, 0);
      assert.equal(run?.sent, w.tenant.log.size);
      // ECS at the top, the event whole under auth0.logs.data, @timestamp from its date.
      const id = w.tenant.eventIds()[10] as string;
      const document = search.documents(TARGET).get(id) as {
        event: { id: string };
        auth0: { logs: { data: { log_id: string } } };
        "@timestamp": unknown;
        _id?: unknown;
      };
      assert.equal(document.event.id, id);
      assert.equal(document.auth0.logs.data.log_id, id);
      assert.equal(typeof document["@timestamp"], "string");
      assert.equal(document._id, undefined);
    });
  }

  it("a replay sends everything again and indexes nothing twice (409 is delivered)", async (t) => {
    const w = await world(t, { tenant: { backlog: 300 }, search: {} });
    assert.equal((await w.once()).code, 0);
    const first = w.tenant.eventIds()[0] as string;
    assert.equal((await runCli(["replay", "--from", first], w.env, w.dir)).code, 0);
    const again = await w.once();
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(w.duplicates(), []);
    const [run] = (await w.stored()).runs;
    assert.equal(run?.sent, w.tenant.log.size - 1, "the re-sent documents count as delivered");
  });

  it("retries only the items that failed (429/503), and whole requests that failed", async (t) => {
    const w = await world(t, { tenant: { backlog: 250 }, search: {} });
    const search = w.search as NonNullable<typeof w.search>;
    search.failNext("item-429", 2);
    search.failNext("503");
    search.failNext("item-503");
    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
    const bulks = search.requests.filter((r) => r.path.split("?")[0]?.endsWith("/_bulk"));
    // Every second item of a 100-item bulk was refused with 429: its retry carries those 50.
    assert.ok(
      bulks.some((r) => r.items === 50),
      `a retry carried only the failed items: ${bulks.map((r) => r.items).join(", ")}`,
    );
  });

  it("fails over to the next URL when the first is down", async (t) => {
    const w = await world(t, { tenant: { backlog: 50 }, search: {} });
    const url = `http://127.0.0.1:1,${(w.search as NonNullable<typeof w.search>).url}`;
    const result = await w.once({ ELASTICSEARCH_URL: url });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(w.missing(), []);
  });
});

describe("Elasticsearch sink: dead letters", () => {
  it("a document with a conflicting mapping is kept with its reason; the rest of its batch is indexed; re-sent after setup it is indexed", async (t) => {
    // Without our template the cluster maps dynamically: the first type seen for details.* wins.
    const w = await world(t, {
      tenant: { backlog: 400, variedDetails: true },
      search: { product: "elasticsearch", version: "8.17.0" },
      env: { ELASTICSEARCH_SETUP: "off" },
    });
    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    const { runs, checkpoint } = await w.stored();
    const rejected = runs[0]?.rejected ?? 0;
    assert.ok(rejected > 0, "some documents were refused");
    assert.equal(checkpoint, w.tenant.eventIds().at(-1), "the checkpoint moved past them");
    assert.equal(w.missing().length, rejected, "only the refused ones are missing");
    const list = await runCli(["dead-letters", "list", "--json", "--limit", "1000"], w.env, w.dir);
    const { counts, deadLetters } = JSON.parse(list.stdout) as {
      counts: { pending: number };
      deadLetters: { logId: string; status: number; reason: string }[];
    };
    assert.equal(counts.pending, rejected);
    assert.equal(deadLetters[0]?.status, 400);
    assert.match(deadLetters[0]?.reason ?? "", /document_parsing_exception|Limit of total fields/);
    assert.deepEqual(deadLetters.map((d) => d.logId).sort(), [...w.missing()].sort());
    // Still refused while the cause stays: kept, with the reason of the new attempt.
    const early = await runCli(["dead-letters", "retry", "--all"], w.env, w.dir);
    assert.equal(early.code, 1);
    assert.match(early.stdout, /0 delivered/);
    // Fix the cause: our template (flattened details) on a new backing index, then re-send.
    const setup = await runCli(["setup"], w.env, w.dir);
    assert.equal(setup.code, 0, setup.stderr);
    const retry = await runCli(["dead-letters", "retry", "--all"], w.env, w.dir);
    assert.equal(retry.code, 0, retry.stdout + retry.stderr);
    assert.match(retry.stdout, new RegExp(`${rejected} delivered, 0 refused`));
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
    const after = JSON.parse((await runCli(["dead-letters", "--json"], w.env, w.dir)).stdout);
    assert.equal(after.counts.pending, 0);
    assert.equal(after.counts.resolved, rejected, "resolved, not deleted");
  });

  for (const store of STORE_DRIVERS) {
    it(`a replay that has the same documents refused again keeps one letter each, with the new attempt (${store.kind})`, async (t) => {
      const w = await world(t, {
        tenant: { backlog: 300, variedDetails: true },
        search: { product: "elasticsearch", version: "8.17.0" },
        env: { ELASTICSEARCH_SETUP: "off" },
        store,
      });
      assert.equal((await w.once()).code, 0);
      const list = async () =>
        JSON.parse(
          (await runCli(["dead-letters", "list", "--json", "--limit", "1000"], w.env, w.dir))
            .stdout,
        ) as { counts: { pending: number }; deadLetters: { logId: string; attempts: number }[] };
      const before = await list();
      assert.ok(before.counts.pending > 0);
      const first = w.tenant.eventIds()[0] as string;
      assert.equal((await runCli(["replay", "--from", first], w.env, w.dir)).code, 0);
      assert.equal((await w.once()).code, 0);
      const after = await list();
      assert.equal(after.counts.pending, before.counts.pending, "no letter twice");
      assert.deepEqual(
        after.deadLetters.map((d) => d.logId).sort(),
        before.deadLetters.map((d) => d.logId).sort(),
      );
      assert.ok(after.deadLetters.every((d) => d.attempts === 2));
    });
  }

  it("the dashboard names the sink, lists dead letters and re-sends them", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 200, variedDetails: true },
      search: {},
      env: { ELASTICSEARCH_SETUP: "off" },
    });
    const d = await dashboardFor(t, w);
    await d.signIn();
    await d.service.tick("manual");
    const status = (await (await d.request("/api/tenants/default/status")).json()) as {
      sink: string;
      deadLetters: { pending: number };
    };
    assert.match(
      status.sink,
      /^Elasticsearch 8\.17\.0 http:\/\/127\.0\.0\.1:\d+\/? \(logs-auth0\.export-default\)$/,
    );
    assert.ok(status.deadLetters.pending > 0);
    const list = (await (await d.request("/api/tenants/default/dead-letters")).json()) as {
      deadLetters: { id: number; reason: string }[];
    };
    assert.equal(list.deadLetters.length, status.deadLetters.pending);
    const retry = await d.request("/api/tenants/default/dead-letters/retry", {
      method: "POST",
      csrf: true,
      body: JSON.stringify({ all: true }),
    });
    assert.equal(retry.status, 200);
    const outcome = (await retry.json()) as { tried: number; refused: number };
    assert.equal(outcome.tried, status.deadLetters.pending);
    assert.match(
      await (await d.request("/metrics")).text(),
      /^auth0_logs_exporter_dead_letters\{tenant="default"\} \d+/m,
    );
  });
});

describe("Elasticsearch sink: Slack", () => {
  it("posts refused documents once per cause, saying how to re-send them", async (t) => {
    const slack = await startSlack();
    t.after(() => slack.close());
    const w = await world(t, {
      tenant: { backlog: 200, variedDetails: true },
      search: {},
      env: { ELASTICSEARCH_SETUP: "off" },
    });
    const { service, notifier } = await serviceFor(t, w, { SLACK_INCOMING_WEBHOOK: slack.url });
    await service.tick("manual");
    w.tenant.addBacklog(200, 1000);
    await service.tick("manual");
    await notifier.idle();
    const refused = slack.messages.filter((m) =>
      m.text?.startsWith("Auth0 log export: documents refused"),
    );
    assert.equal(refused.length, 1, slack.messages.map((m) => m.text?.split("\n")[0]).join(" | "));
    assert.match(refused[0]?.text ?? "", /dead-letters retry --all/);
  });

  it("a refused event's value quoted by the cluster reaches Slack as text: no ping, no link", async (t) => {
    const slack = await startSlack();
    t.after(() => slack.close());
    const w = await world(t, {
      tenant: { backlog: 20 },
      search: {},
      env: { ELASTICSEARCH_SETUP: "off" },
    });
    const { service, notifier } = await serviceFor(t, w, { SLACK_INCOMING_WEBHOOK: slack.url });
    await service.tick("manual");
    // A field that is text in one event and an object in the next is refused (logs@settings'
    // ignore_malformed covers numbers, not objects), and the refusal previews the object's values.
    const lure = "<!channel> <https://evil.example/reset|credentials expired: click here>";
    for (const body of ["grant_type=password", { note: lure }]) {
      w.tenant.addEvent({
        date: new Date().toISOString(),
        type: "s",
        description: "Success Login",
        details: { request: { method: "POST", body } },
      });
    }
    await service.tick("manual");
    await notifier.idle();
    const refused = slack.messages.find((m) =>
      m.text?.startsWith("Auth0 log export: documents refused"),
    );
    assert.ok(refused, slack.messages.map((m) => m.text?.split("\n")[0]).join(" | "));
    const parsed = parseMessage(refused);
    assert.ok(
      parsed.shown.some((text) => text.includes(`Preview of field's value: '{note=${lure}}'`)),
    );
    assert.deepEqual(parsed.actions, []);
  });
});

describe("setup", () => {
  for (const cluster of products) {
    it(`installs the templates and lifecycle policy on ${cluster.product} ${cluster.version}, and a second run changes nothing`, async (t) => {
      const w = await world(t, { search: cluster });
      const search = w.search as NonNullable<typeof w.search>;
      const first = await runCli(["setup"], w.env, w.dir);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /index template\s+auth0-logs-to-logstash\s+installed/);
      const puts = search.requests.filter((r) => r.method === "PUT").length;
      assert.ok(puts >= 3);
      const second = await runCli(["setup"], w.env, w.dir);
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(second.stdout, /installed|updated/);
      assert.equal(search.requests.filter((r) => r.method === "PUT").length, puts);
      const policies = [...search.policies().keys()];
      assert.deepEqual(policies, ["auth0-logs-to-logstash"]);
      // A new retention changes the policy, and only it.
      const third = await runCli(["setup"], { ...w.env, ELASTICSEARCH_RETENTION: "400d" }, w.dir);
      assert.equal(third.code, 0, third.stderr);
      assert.match(third.stdout, /policy\s+auth0-logs-to-logstash\s+updated/);
    });
  }

  it("works with only ELASTICSEARCH_URL set beside a Logstash sink, and says what check finds", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const cluster = await world(t, { search: {} });
    const url = (cluster.search as NonNullable<typeof cluster.search>).url;
    const dry = await runCli(["setup", "--dry-run"], { ...w.env, ELASTICSEARCH_URL: url }, w.dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /extension documents/, "Logstash's default format");
    assert.match(dry.stdout, /missing/);
    const check = await runCli(
      ["check"],
      { ...cluster.env, ELASTICSEARCH_SETUP: "off" },
      cluster.dir,
    );
    assert.match(
      check.stdout,
      /ok {4}Elasticsearch \(Elasticsearch 8\.17\.0 at .*missing.*run setup/,
    );
  });

  it("a user who may not manage templates: ELASTICSEARCH_SETUP=off exports; auto says which privilege is missing", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 30 },
      search: { privileges: "write-only", basic: { user: "writer", password: "writer-pw-1" } },
      env: {
        ELASTICSEARCH_USER: "writer",
        ELASTICSEARCH_PASSWORD: "writer-pw-1",
        RETRY_MAX_TIME: "1s",
      },
    });
    const auto = await w.once();
    assert.equal(auto.code, 1);
    assert.match(auto.stderr, /manage_index_templates/);
    const off = await w.once({ ELASTICSEARCH_SETUP: "off" });
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(w.missing(), []);
  });

  it("refuses a cluster it does not support, clearly", async (t) => {
    const w = await world(t, { search: { product: "elasticsearch", version: "7.17.0" } });
    const check = await runCli(["check"], w.env, w.dir);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /FAIL {2}Elasticsearch: Elasticsearch 7\.17\.0 is not supported/);
  });
});

describe("Elasticsearch sink: authentication", () => {
  it("basic auth, from the settings or from the URL", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 20 },
      search: { basic: { user: "exporter", password: "s3cret-pw" } },
    });
    const search = w.search as NonNullable<typeof w.search>;
    assert.equal((await w.once()).code, 1, "no credentials: refused");
    const settings = await w.once({
      ELASTICSEARCH_USER: "exporter",
      ELASTICSEARCH_PASSWORD: "s3cret-pw",
    });
    assert.equal(settings.code, 0, settings.stderr);
    const url = new URL(search.url);
    url.username = "exporter";
    url.password = "s3cret-pw";
    w.tenant.addEvents(5);
    assert.equal((await w.once({ ELASTICSEARCH_URL: url.toString() })).code, 0);
    assert.deepEqual(w.missing(), []);
  });

  it("an API key, as base64 id:key or as id:key", async (t) => {
    const key = Buffer.from("key-id:key-secret").toString("base64");
    const w = await world(t, { tenant: { backlog: 20 }, search: { apiKey: key } });
    assert.equal((await w.once({ ELASTICSEARCH_API_KEY: key })).code, 0);
    w.tenant.addEvents(5);
    assert.equal((await w.once({ ELASTICSEARCH_API_KEY: "key-id:key-secret" })).code, 0);
    assert.deepEqual(w.missing(), []);
  });

  for (const service of ["es", "aoss"] as const) {
    it(`AWS SigV4 for ${service === "es" ? "OpenSearch Service" : "OpenSearch Serverless"}, credentials from the standard chain`, async (t) => {
      const credentials = {
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI-example-key",
      };
      const w = await world(t, {
        tenant: { backlog: 40 },
        search: {
          product: "opensearch",
          serverless: service === "aoss",
          aws: { ...credentials, region: "eu-west-1", service },
        },
      });
      // The AWS chain reads the process environment: a child process with the keys in it.
      const result = await spawnCli(
        ["once"],
        {
          ...w.env,
          ELASTICSEARCH_AWS_REGION: "eu-west-1",
          ELASTICSEARCH_AWS_SERVICE: service,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        },
        w.dir,
      ).done;
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(w.missing(), []);
      w.tenant.addEvents(5);
      const wrong = await spawnCli(
        ["once"],
        {
          ...w.env,
          ELASTICSEARCH_AWS_REGION: "eu-west-1",
          ELASTICSEARCH_AWS_SERVICE: service,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: "not-the-key",
          RETRY_MAX_TIME: "0s",
        },
        w.dir,
      ).done;
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /signature|refused the credentials/);
    });
  }
});
