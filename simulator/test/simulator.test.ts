// The fakes follow contracts.md: a fake kinder than the real service would let bugs through.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { request } from "undici";
import { type LogstashFake, startLogstash } from "../logstash.ts";
import { type SlackFake, startSlack } from "../slack.ts";
import { startTenant, type TenantSimulator } from "../tenant.ts";

async function token(tenant: TenantSimulator, secret = "test-client-secret-4f1c9a") {
  const response = await request(`${tenant.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: "test-client-id",
      client_secret: secret,
      audience: `${tenant.url}/api/v2/`,
    }),
  });
  return {
    status: response.statusCode,
    body: (await response.body.json()) as Record<string, unknown>,
  };
}

async function logs(url: string, bearer: string) {
  const response = await request(url, { headers: { authorization: `Bearer ${bearer}` } });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

describe("tenant simulator (contracts §1-3)", () => {
  let tenant: TenantSimulator;
  before(async () => {
    tenant = await startTenant({ backlog: 250, rateLimit: { burst: 5, perSecond: 2 } });
  });
  after(() => tenant.close());

  it("issues a token for good credentials, writing a seccft event, and refuses bad ones", async () => {
    const good = await token(tenant);
    assert.equal(good.status, 200);
    assert.equal(good.body.token_type, "Bearer");
    assert.equal(good.body.expires_in, 86400);
    assert.equal(tenant.log.eventAt(tenant.log.size - 1).type, "seccft");
    const bad = await token(tenant, "wrong");
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { error: "access_denied", error_description: "Unauthorized" });
  });

  it("pages by checkpoint with ascending 56-digit ids and a next link, until an empty page", async () => {
    const bearer = (await token(tenant)).body.access_token as string;
    const first = tenant.eventIds()[0] as string;
    const start = `${first.slice(0, 17)}${"0".repeat(39)}`;
    let url = `${tenant.url}/api/v2/logs?from=${start}&take=100`;
    const seen: string[] = [];
    for (;;) {
      const page = await logs(url, bearer);
      assert.equal(page.status, 200);
      for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"])
        assert.ok(page.headers[name]);
      const events = JSON.parse(page.text) as { log_id: string; _id: string }[];
      const next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link))?.[1] as string;
      if (events.length === 0) {
        assert.equal(next, url, "caught up: the next URL is the URL just called");
        break;
      }
      for (const e of events) {
        assert.match(e.log_id, /^900\d{53}$/);
        assert.equal(e._id, e.log_id);
        assert.ok(seen.length === 0 || e.log_id > (seen.at(-1) as string));
        seen.push(e.log_id);
      }
      url = next;
    }
    assert.equal(seen.length, tenant.log.size);
  });

  it("answers 429 with Auth0's body and the rate-limit headers when the bucket is empty", async () => {
    const bearer = (await token(tenant)).body.access_token as string;
    const url = `${tenant.url}/api/v2/logs?from=${"9".repeat(3)}${"0".repeat(53)}&take=1`;
    let limited: Awaited<ReturnType<typeof logs>> | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const answer = await logs(url, bearer);
      if (answer.status === 429) limited = answer;
    }
    assert.ok(limited);
    assert.deepEqual(JSON.parse(limited.text), {
      statusCode: 429,
      error: "Too Many Requests",
      message: "Global limit has been reached",
      errorCode: "too_many_requests",
    });
    assert.equal(limited.headers["x-ratelimit-remaining"], "0");
    assert.ok(Number(limited.headers["x-ratelimit-reset"]) >= Math.floor(Date.now() / 1000));
    assert.equal(limited.headers["retry-after"], undefined);
  });

  it("rejects a malformed from and a take over 100 with 400", async () => {
    tenant.setRateLimit(null);
    const bearer = (await token(tenant)).body.access_token as string;
    assert.equal((await logs(`${tenant.url}/api/v2/logs?from=123&take=10`, bearer)).status, 400);
    assert.equal(
      (await logs(`${tenant.url}/api/v2/logs?from=${"9".repeat(56)}&take=101`, bearer)).status,
      400,
    );
  });

  it("answers 401 to an unknown or expired token", async () => {
    const bearer = (await token(tenant)).body.access_token as string;
    tenant.expireTokens();
    const answer = await logs(`${tenant.url}/api/v2/logs?from=${"9".repeat(56)}&take=10`, bearer);
    assert.equal(answer.status, 401);
    assert.match(answer.text, /Expired token/);
  });

  it("injects HTML 5xx bodies on demand", async () => {
    const bearer = (await token(tenant)).body.access_token as string;
    tenant.failNext("503");
    const answer = await logs(`${tenant.url}/api/v2/logs?from=${"9".repeat(56)}&take=10`, bearer);
    assert.equal(answer.status, 503);
    assert.match(answer.headers["content-type"] as string, /text\/html/);
  });
});

describe("tenant simulator: a second client of the bucket (issue 20)", () => {
  it("spends the same bucket, which the headers report, and a bucket left under 20 % writes api_limit_warning once a minute", async (t) => {
    // Another client at 6 requests a second against a bucket of 10 refilling 2 a second: it
    // drains the bucket in about 2.5 s on its own.
    const tenant = await startTenant({
      backlog: 5,
      rateLimit: { burst: 10, perSecond: 2 },
      secondClient: 6,
    });
    t.after(() => tenant.close());
    const bearer = (await token(tenant)).body.access_token as string;
    const url = `${tenant.url}/api/v2/logs?from=${"9".repeat(3)}${"0".repeat(53)}&take=1`;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const answer = await logs(url, bearer);
    // One read of ours, yet the bucket is near empty: remaining counts every client's use.
    assert.ok(
      Number(answer.headers["x-ratelimit-remaining"]) <= 2,
      String(answer.headers["x-ratelimit-remaining"]),
    );
    assert.ok((tenant.secondClient?.granted ?? 0) >= 10);
    const warnings = tenant
      .eventIds()
      .filter((_, i) => tenant.log.eventAt(i).type === "api_limit_warning");
    // One a minute: the 3 s may straddle a minute's end.
    assert.ok(warnings.length >= 1 && warnings.length <= 2, `${warnings.length} api_limit_warning`);
    assert.ok(tenant.logsRateLimit.warningMinutes.size >= 1);
  });
});

describe("Logstash http input fake (contracts §6)", () => {
  let logstash: LogstashFake;
  before(async () => {
    logstash = await startLogstash({ user: "u", password: "p" });
  });
  after(() => logstash.close());
  const auth = `Basic ${Buffer.from("u:p").toString("base64")}`;
  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    request(logstash.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: auth, ...headers },
      body,
    });

  it("turns an array into one event per element and an object into one event", async () => {
    logstash.reset();
    assert.equal((await post(JSON.stringify([{ log_id: "a" }, { log_id: "b" }]))).statusCode, 200);
    assert.equal((await post(JSON.stringify({ log_id: "c" }))).statusCode, 200);
    assert.deepEqual([...logstash.idCounts().keys()], ["a", "b", "c"]);
  });

  it("answers 200 to invalid JSON and tags the event _jsonparsefailure", async () => {
    logstash.reset();
    const response = await post("[{not json");
    assert.equal(response.statusCode, 200);
    assert.deepEqual((logstash.received[0] as { tags: string[] }).tags, ["_jsonparsefailure"]);
  });

  it("answers 401 with WWW-Authenticate without the right basic auth", async () => {
    const response = await post("[]", { authorization: "Basic eDp5" });
    assert.equal(response.statusCode, 401);
    assert.match(String(response.headers["www-authenticate"]), /^Basic realm=/);
  });

  it("accepts gzip bodies and answers 400 to a corrupt one", async () => {
    logstash.reset();
    assert.equal(
      (await post(gzipSync(JSON.stringify([{ log_id: "z" }])), { "content-encoding": "gzip" }))
        .statusCode,
      200,
    );
    assert.equal(
      (await post(Buffer.from("garbage"), { "content-encoding": "gzip" })).statusCode,
      400,
    );
    assert.ok(logstash.idCounts().has("z"));
  });

  it("answers 429 without Retry-After as back-pressure", async () => {
    logstash.failNext("429");
    const response = await post("[]");
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers["retry-after"], undefined);
  });

  it("records the events of a reset-after request although the client sees an error", async () => {
    logstash.reset();
    logstash.failNext("reset-after");
    await assert.rejects(post(JSON.stringify([{ log_id: "lost-ack" }])));
    assert.ok(logstash.idCounts().has("lost-ack"));
  });
});

describe("Slack webhook fake (contracts §8)", () => {
  let slack: SlackFake;
  before(async () => {
    slack = await startSlack();
  });
  after(() => slack.close());
  const post = (body: string) =>
    request(slack.url, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("answers ok to a message and invalid_payload to garbage", async () => {
    const ok = await post(JSON.stringify({ text: "hello" }));
    assert.equal(ok.statusCode, 200);
    assert.equal(await ok.body.text(), "ok");
    const bad = await post("{}");
    assert.equal(bad.statusCode, 400);
    assert.equal(await bad.body.text(), "invalid_payload");
  });

  it("answers 429 with Retry-After and the other documented errors on demand", async () => {
    slack.failNext("429");
    const limited = await post(JSON.stringify({ text: "x" }));
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers["retry-after"]) > 0);
    slack.failNext("410");
    const archived = await post(JSON.stringify({ text: "x" }));
    assert.equal(archived.statusCode, 410);
    assert.equal(await archived.body.text(), "channel_is_archived");
  });
});
