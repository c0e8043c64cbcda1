// setup and check against the fake cluster where a real one differs from a helpful one: ISM
// attaching its policy only to indices made after it (and by the data stream's name), users who
// may only write, a plain index where the data stream should be, Fleet's Auth0 data stream,
// clusters in compatibility mode or serverless, and a busy cluster on every call, not only _bulk.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { request } from "undici";
import type { SearchFake } from "../simulator/search/index.ts";
import { productOf } from "../src/sinks/elasticsearch/product.ts";
import { runCli } from "./helpers/cli.ts";
import { world } from "./helpers/world.ts";

const TARGET = "logs-auth0.export-default";
const POLICY = "auth0-logs-to-logstash";
const WRITER = { privileges: "write-only", basic: { user: "writer", password: "writer-pw-1" } };
const WRITER_ENV = { ELASTICSEARCH_USER: "writer", ELASTICSEARCH_PASSWORD: "writer-pw-1" };

async function http(fake: SearchFake, method: string, path: string, body?: unknown) {
  const response = await request(`${fake.url}${path}`, {
    method: method as "GET",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.statusCode,
    json: (await response.body.json()) as Record<string, unknown>,
  };
}

/** The backing indices of the target and the ISM policy managing each (null: none). */
async function managedBy(fake: SearchFake): Promise<Record<string, unknown>> {
  const explain = await http(fake, "GET", `/_plugins/_ism/explain/.ds-${TARGET}-*`);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(explain.json)) {
    if (name === "total_managed_indices") continue;
    out[name] = (value as Record<string, unknown>)[
      "index.plugins.index_state_management.policy_id"
    ];
  }
  return out;
}

describe("OpenSearch: the ISM policy manages the data stream's indices", () => {
  it("a backing index made after setup is managed by the policy (ISM matches the data stream's name)", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 }, search: { product: "opensearch" } });
    const result = await w.once();
    assert.equal(result.code, 0, result.stderr);
    const search = w.search as SearchFake;
    assert.deepEqual(await managedBy(search), { [`.ds-${TARGET}-000001`]: POLICY });
  });

  it("indices made before the policy: check says so, setup attaches the policy to them", async (t) => {
    const w = await world(t, { search: { product: "opensearch" } });
    const search = w.search as SearchFake;
    // Someone's own data-stream template, and the stream made from it before our setup.
    await http(search, "PUT", "/_index_template/theirs", {
      index_patterns: ["logs-auth0.export-*"],
      data_stream: {},
      priority: 1,
    });
    assert.equal((await http(search, "PUT", `/_data_stream/${TARGET}`)).status, 200);
    const check = await runCli(["check"], { ...w.env, ELASTICSEARCH_SETUP: "off" }, w.dir);
    assert.match(
      check.stdout,
      new RegExp(
        `WARN {2}Elasticsearch: 1 index\\(es\\) of ${TARGET} made before the ISM policy are not managed by it \\(\\.ds-${TARGET}-000001\\).*run setup`,
      ),
    );
    const setup = await runCli(["setup"], w.env, w.dir);
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout, new RegExp(`ISM policy +\\.ds-${TARGET}-000001 +attached`));
    // Our template changed the stream's: rolled over, the new write index managed at creation.
    assert.deepEqual(await managedBy(search), {
      [`.ds-${TARGET}-000001`]: POLICY,
      [`.ds-${TARGET}-000002`]: POLICY,
    });
    const again = await runCli(["setup"], w.env, w.dir);
    assert.doesNotMatch(again.stdout, /attached|installed|updated/);
  });
});

describe("OpenSearch without the ISM plugin (its minimal distribution)", () => {
  it("setup installs the templates and says the policy is unavailable and what that means; check warns; run and once export", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 20 },
      search: { product: "opensearch", ism: false },
      env: { ELASTICSEARCH_RETENTION: "30d" },
    });
    const setup = await runCli(["setup"], w.env, w.dir);
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    assert.match(setup.stdout, /index template +auth0-logs-to-logstash +installed/);
    assert.match(setup.stdout, /ISM policy +auth0-logs-to-logstash +unavailable/);
    assert.match(
      setup.stdout,
      new RegExp(
        `Note: this OpenSearch has no Index State Management plugin .*${TARGET} never rolls over and ELASTICSEARCH_RETENTION \\(30 days\\) is not applied`,
      ),
    );
    const check = await runCli(["check"], w.env, w.dir);
    assert.equal(check.code, 0, check.stdout);
    assert.match(check.stdout, /index template installed, no lifecycle policy \(no ISM plugin\)/);
    assert.match(check.stdout, /WARN {2}Elasticsearch: this OpenSearch has no Index State/);
    const once = await w.once({ ELASTICSEARCH_INDEX: "logs-auth0.export-other" });
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout + once.stderr, /no Index State Management plugin/);
    assert.deepEqual(w.missing(), []);
  });
});

describe("a user who may only write (ELASTICSEARCH_SETUP=off)", () => {
  it("check warns that it cannot read the templates, names the privilege and who runs setup, and passes", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 5 },
      search: WRITER as never,
      env: { ...WRITER_ENV, ELASTICSEARCH_SETUP: "off" },
    });
    const check = await runCli(["check"], w.env, w.dir);
    assert.equal(check.code, 0, check.stdout);
    assert.match(
      check.stdout,
      /WARN {2}Elasticsearch: could not verify the index template and lifecycle policy: the user may not read them \(403; needs manage_index_templates and manage_ilm\).*run `auth0-logs-to-logstash setup`/,
    );
    assert.doesNotMatch(check.stdout, /FAIL/);
  });

  it("with ELASTICSEARCH_SETUP=auto check fails, saying run and once cannot install the template", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 }, search: WRITER as never, env: WRITER_ENV });
    const check = await runCli(["check"], w.env, w.dir);
    assert.equal(check.code, 1);
    assert.match(
      check.stdout,
      /FAIL {2}Elasticsearch: ELASTICSEARCH_SETUP=auto, but the user may not read the index template.*ELASTICSEARCH_SETUP=off/,
    );
  });
});

describe("a plain index where the data stream should be", () => {
  it("OpenSearch without our template, ELASTICSEARCH_SETUP=off: once refuses to create the target, and creates nothing", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 10 },
      search: { product: "opensearch" },
      env: { ELASTICSEARCH_SETUP: "off", RETRY_MAX_TIME: "1s" },
    });
    const once = await w.once();
    assert.equal(once.code, 1);
    assert.match(
      once.stderr,
      new RegExp(`no index template makes ${TARGET} a data stream.*run setup first`),
    );
    assert.deepEqual((w.search as SearchFake).targets(), []);
    const setup = await runCli(["setup"], w.env, w.dir);
    assert.equal(setup.code, 0, setup.stderr);
    const after = await w.once();
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(w.missing(), []);
    assert.ok((w.search as SearchFake).mappingOf(TARGET), "a data stream now");
  });

  it("OpenSearch, a user who may not create data streams: the write goes on, with a warning naming the risk", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 10 },
      search: { product: "opensearch", ...WRITER } as never,
      env: { ...WRITER_ENV, ELASTICSEARCH_SETUP: "off" },
    });
    const once = await w.once();
    assert.equal(once.code, 0, once.stderr);
    assert.match(
      once.stdout + once.stderr,
      new RegExp(
        `cannot verify that a write to ${TARGET} creates a data stream \\(PUT /_data_stream/${TARGET}: 403`,
      ),
    );
    assert.deepEqual(w.missing(), []);
  });

  it("an existing plain index: check fails and setup says so (exit 1), both saying what to do; once still writes into it", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 }, search: { product: "opensearch" } });
    const search = w.search as SearchFake;
    assert.equal((await http(search, "PUT", `/${TARGET}`)).status, 200);
    const setup = await runCli(["setup"], w.env, w.dir);
    assert.equal(setup.code, 1);
    assert.match(setup.stdout, /index template +auth0-logs-to-logstash +installed/);
    assert.match(
      setup.stderr,
      new RegExp(`${TARGET} exists as a plain index, not a data stream.*_reindex.*op_type create`),
    );
    const check = await runCli(["check"], w.env, w.dir);
    assert.equal(check.code, 1);
    assert.match(
      check.stdout,
      new RegExp(`FAIL {2}Elasticsearch: ${TARGET} exists as a plain index`),
    );
    const once = await w.once();
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout + once.stderr, /exists as a plain index/);
    assert.deepEqual(w.missing(), []);
  });
});

describe("ELASTICSEARCH_INDEX and Elastic's Auth0 integration", () => {
  it("refuses logs-auth0.logs-*, the integration's data streams, as a settings error (exit 2)", async (t) => {
    const w = await world(t, { search: {} });
    for (const index of ["logs-auth0.logs-default", "logs-auth0.logs-prod"]) {
      const check = await runCli(["check"], { ...w.env, ELASTICSEARCH_INDEX: index }, w.dir);
      assert.equal(check.code, 2);
      assert.match(
        check.stderr,
        /ELASTICSEARCH_INDEX: .*Elastic's Auth0 integration.*priority 501/,
      );
    }
    assert.equal((w.search as SearchFake).requests.length, 0, "nothing asked of the cluster");
  });
});

describe("clusters that answer GET / differently", () => {
  it("OpenSearch in compatibility mode (7.10.2, no distribution): its real version from _nodes; exports", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 20 },
      search: { product: "opensearch", version: "2.17.1", compatibilityMode: true },
    });
    const check = await runCli(["check"], { ...w.env, ELASTICSEARCH_SETUP: "off" }, w.dir);
    assert.match(
      check.stdout,
      /ok {4}Elasticsearch \(OpenSearch 2\.17\.1 \(compatibility mode\) at /,
    );
    const once = await w.once();
    assert.equal(once.code, 0, once.stderr);
    assert.deepEqual(w.missing(), []);
  });

  it("a compatibility-mode answer that cannot be looked into is refused, saying how to turn the mode off", () => {
    const answer = {
      status: 200,
      headers: {},
      body: JSON.stringify({
        version: { number: "7.10.2" },
        tagline: "The OpenSearch Project: https://opensearch.org/",
      }),
    };
    assert.throws(
      () => productOf(answer),
      /compatibility mode \(Amazon OpenSearch Service: the domain's advanced option override_main_response_version.*turn compatibility mode off/,
    );
  });

  it("Elastic Cloud Serverless: no ILM (410 there); the data stream lifecycle keeps the retention", async (t) => {
    const w = await world(t, {
      tenant: { backlog: 20 },
      search: { serverless: true },
      env: { ELASTICSEARCH_RETENTION: "90d" },
    });
    const setup = await runCli(["setup"], w.env, w.dir);
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout, /^Elastic Cloud Serverless at /);
    const search = w.search as SearchFake;
    assert.ok(!search.requests.some((r) => r.path.startsWith("/_ilm")), "ILM never called");
    const template = search.templates().get(POLICY) as { template?: { lifecycle?: unknown } };
    assert.deepEqual(template.template?.lifecycle, { data_retention: "90d" });
    const once = await w.once();
    assert.equal(once.code, 0, once.stderr);
    assert.deepEqual(w.missing(), []);
  });
});

describe("a busy cluster on calls other than _bulk", () => {
  it("setup and check wait out 429, 503 and resets on GET /, templates and policies", async (t) => {
    for (const product of ["elasticsearch", "opensearch"] as const) {
      const w = await world(t, { tenant: { backlog: 5 }, search: { product } });
      const search = w.search as SearchFake;
      search.failNextAdmin("503");
      search.failNextAdmin("reset-before");
      search.failNextAdmin("reset-after");
      const setup = await runCli(["setup"], w.env, w.dir);
      assert.equal(setup.code, 0, setup.stderr);
      assert.match(setup.stdout, /index template +auth0-logs-to-logstash +installed/);
      // check's first calls: GET / and the first template.
      search.failNextAdmin("429");
      search.failNextAdmin("503");
      const check = await runCli(["check"], w.env, w.dir);
      assert.equal(check.code, 0, check.stdout);
      assert.match(check.stdout, /index template and lifecycle installed/);
      assert.equal(search.adminFaults.total, 5);
    }
  });
});

describe("error text", () => {
  it("shows the cluster's URL with only its credentials masked", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 }, search: {} });
    for (const url of ["http://127.0.0.1:1", "http://exporter:pw-in-the-url@127.0.0.1:1"]) {
      const env = { ...w.env, ELASTICSEARCH_URL: url, RETRY_MAX_TIME: "0s" };
      const check = await runCli(["check"], env, w.dir);
      assert.equal(check.code, 1);
      assert.match(
        check.stdout,
        /FAIL {2}Elasticsearch: .*Elasticsearch http:\/\/127\.0\.0\.1:1\//,
      );
      assert.doesNotMatch(check.stdout, /\*\*\*\/|pw-in-the-url/);
    }
  });
});
