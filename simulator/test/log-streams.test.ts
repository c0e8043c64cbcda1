// The fake tenant's Log Streams API follows Auth0's: GET/POST/PATCH /api/v2/log-streams[/{id}],
// the scope each needs (403 insufficient_scope), 404 for an unknown id, 400 for a bad body; and
// the stream a pusher drives: status, suspend(), onStatus.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { DEFAULT_SCOPES, SIMULATED_CLIENT, startTenant, type TenantSimulator } from "../tenant.ts";

async function token(tenant: TenantSimulator): Promise<string> {
  const response = await request(`${tenant.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: SIMULATED_CLIENT.id,
      client_secret: SIMULATED_CLIENT.secret,
      audience: `${tenant.url}/api/v2/`,
    }),
  });
  return ((await response.body.json()) as { access_token: string }).access_token;
}

/** A stream, or Auth0's error body. */
interface Answer {
  id: string;
  status: string;
  sink: Record<string, unknown>;
  errorCode: string;
  message: string;
}

async function api(
  tenant: TenantSimulator,
  bearer: string,
  method: "GET" | "POST" | "PATCH",
  path: string,
  body?: unknown,
) {
  const response = await request(`${tenant.url}/api/v2/log-streams${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Answer };
}

const webhook = {
  name: "auth0-logs-to-logstash",
  type: "http",
  sink: {
    httpEndpoint: "https://logs.example.com/log-stream",
    httpContentType: "application/json",
    httpContentFormat: "JSONLINES",
    httpAuthorization: "Bearer 0123456789abcdef0123",
  },
};

describe("simulated tenant: the Log Streams API", () => {
  let tenant: TenantSimulator;
  let bearer: string;
  before(async () => {
    tenant = await startTenant();
    bearer = await token(tenant);
  });
  after(() => tenant.close());

  it("POST creates an active http stream with an lst_ id; GET reads it and lists it", async () => {
    const created = await api(tenant, bearer, "POST", "", webhook);
    assert.equal(created.status, 200);
    assert.match(created.body.id, /^lst_\d{16}$/);
    assert.equal(created.body.status, "active");
    assert.deepEqual(created.body.sink, webhook.sink);
    const read = await api(tenant, bearer, "GET", `/${created.body.id}`);
    assert.deepEqual(read.body, created.body);
    const list = await api(tenant, bearer, "GET", "");
    const streams = list.body as unknown as Answer[];
    assert.ok(streams.some((s) => s.id === created.body.id));
  });

  it("PATCH changes the status and merges sink fields; suspended cannot be set by the API", async () => {
    const { body: stream } = await api(tenant, bearer, "POST", "", webhook);
    const paused = await api(tenant, bearer, "PATCH", `/${stream.id}`, { status: "paused" });
    assert.equal(paused.body.status, "paused");
    const moved = await api(tenant, bearer, "PATCH", `/${stream.id}`, {
      sink: { httpEndpoint: "https://elsewhere.example.com/log-stream" },
    });
    assert.equal(moved.body.sink.httpEndpoint, "https://elsewhere.example.com/log-stream");
    assert.equal(moved.body.sink.httpContentFormat, "JSONLINES");
    const refused = await api(tenant, bearer, "PATCH", `/${stream.id}`, { status: "suspended" });
    assert.equal(refused.status, 400);
  });

  it("a suspended stream (what Auth0 leaves after failures) is set back to active by PATCH", async () => {
    const stream = tenant.logStreams.create({ name: "s", sink: { ...webhook.sink } as never });
    const seen: string[] = [];
    stream.onStatus((status, previous) => seen.push(`${previous}->${status}`));
    stream.suspend();
    assert.equal((await api(tenant, bearer, "GET", `/${stream.id}`)).body.status, "suspended");
    await api(tenant, bearer, "PATCH", `/${stream.id}`, { status: "active" });
    assert.equal(stream.status, "active");
    assert.deepEqual(seen, ["active->suspended", "suspended->active"]);
  });

  it("404 for an unknown id, 400 for bad bodies, 401 without a valid token", async () => {
    assert.equal((await api(tenant, bearer, "GET", "/lst_404")).status, 404);
    assert.equal(
      (await api(tenant, bearer, "PATCH", "/lst_404", { status: "active" })).status,
      404,
    );
    assert.equal((await api(tenant, bearer, "POST", "", "{not json")).status, 400);
    assert.equal((await api(tenant, bearer, "POST", "", { ...webhook, sink: {} })).status, 400);
    const bad = { ...webhook, sink: { ...webhook.sink, httpContentFormat: "XML" } };
    assert.equal((await api(tenant, bearer, "POST", "", bad)).status, 400);
    assert.equal((await api(tenant, bearer, "POST", "", { ...webhook, extra: 1 })).status, 400);
    assert.equal((await api(tenant, "not-a-token", "GET", "")).status, 401);
  });

  it("each method needs its scope: 403 insufficient_scope names it", async () => {
    tenant.setScopes(["read:logs"]);
    const narrow = await token(tenant);
    tenant.setScopes(DEFAULT_SCOPES);
    for (const [method, scope] of [
      ["GET", "read:log_streams"],
      ["POST", "create:log_streams"],
      ["PATCH", "update:log_streams"],
    ] as const) {
      const path = method === "PATCH" ? "/lst_0000000000000001" : "";
      const answer = await api(tenant, narrow, method, path, method === "GET" ? undefined : {});
      assert.equal(answer.status, 403);
      assert.equal(answer.body.errorCode, "insufficient_scope");
      assert.match(answer.body.message, new RegExp(scope));
    }
  });
});
