// Contract tests of the fake Elasticsearch / OpenSearch cluster: what a real node answers, as the
// exporter's sink will meet it. A fake kinder than the real service would let bugs through.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import aws4 from "aws4";
import { request } from "undici";
import { type SearchFake, type SearchOptions, startSearch } from "../search/index.ts";

type Json = Record<string, unknown>;

interface Call {
  body?: string | Buffer;
  headers?: Record<string, string>;
}

async function call(fake: SearchFake, method: string, path: string, options: Call = {}) {
  const response = await request(`${fake.url}${path}`, {
    method: method as "GET",
    headers: options.headers,
    body: options.body,
  });
  const text = await response.body.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {}
  return { status: response.statusCode, headers: response.headers, text, json };
}

const ndjson = (...lines: unknown[]) => `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`;
const NDJSON = { "content-type": "application/x-ndjson" };
const JSON_TYPE = { "content-type": "application/json" };
const now = () => new Date().toISOString();

function bulk(
  fake: SearchFake,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  return call(fake, "POST", path, { body, headers: { ...NDJSON, ...headers } });
}

function items(response: { json: Json }): Json[] {
  return (response.json.items as Json[]).map((item) => Object.values(item)[0] as Json);
}

function error(item: Json): Json {
  return item.error as Json;
}

async function withFake(options: SearchOptions, run: (fake: SearchFake) => Promise<void>) {
  const fake = await startSearch(options);
  try {
    await run(fake);
  } finally {
    await fake.close();
  }
}

describe("GET / tells the product apart", () => {
  it("Elasticsearch 8 and 9 send their version and X-Elastic-Product on every answer", async () => {
    for (const version of ["8.17.0", "9.1.2"]) {
      await withFake({ version }, async (fake) => {
        const root = await call(fake, "GET", "/");
        assert.equal(root.status, 200);
        assert.equal(root.headers["x-elastic-product"], "Elasticsearch");
        assert.equal(root.headers["content-type"], "application/json; charset=UTF-8");
        const info = root.json.version as Json;
        assert.equal(info.number, version);
        assert.equal(info.build_flavor, "default");
        assert.equal(info.distribution, undefined);
        assert.equal(root.json.tagline, "You Know, for Search");
        const head = await call(fake, "HEAD", "/");
        assert.equal(head.status, 200);
        assert.equal(head.text, "");
        const missing = await call(fake, "GET", "/nope/_count");
        assert.equal(missing.status, 404);
        assert.equal(missing.headers["x-elastic-product"], "Elasticsearch");
      });
    }
  });

  it("OpenSearch 2 and 3 say distribution opensearch and never send X-Elastic-Product", async () => {
    for (const version of ["2.17.1", "3.1.0"]) {
      await withFake({ product: "opensearch", version }, async (fake) => {
        const root = await call(fake, "GET", "/");
        assert.equal(root.status, 200);
        assert.equal(root.headers["x-elastic-product"], undefined);
        assert.deepEqual(
          [(root.json.version as Json).distribution, (root.json.version as Json).number],
          ["opensearch", version],
        );
        assert.equal(root.json.tagline, "The OpenSearch Project: https://opensearch.org/");
      });
    }
  });

  it("OpenSearch Serverless does not serve GET /", async () => {
    await withFake({ product: "opensearch", serverless: true }, async (fake) => {
      const root = await call(fake, "GET", "/");
      assert.equal(root.status, 404);
      assert.equal(root.text, "");
    });
  });

  it("OpenSearch in compatibility mode says 7.10.2 without distribution; the nodes API tells the real version", async () => {
    await withFake(
      { product: "opensearch", version: "2.17.1", compatibilityMode: true },
      async (fake) => {
        const root = await call(fake, "GET", "/");
        const version = root.json.version as Json;
        assert.equal(version.number, "7.10.2");
        assert.equal(version.distribution, undefined);
        assert.equal(root.headers["x-elastic-product"], undefined);
        assert.equal(root.json.tagline, "The OpenSearch Project: https://opensearch.org/");
        const nodes = await call(fake, "GET", "/_nodes/_local?filter_path=nodes.*.version");
        assert.deepEqual(Object.values(nodes.json.nodes as Json), [{ version: "2.17.1" }]);
      },
    );
  });

  it("Elastic Serverless says build_flavor serverless, and answers ILM with 410", async () => {
    await withFake({ serverless: true }, async (fake) => {
      const root = await call(fake, "GET", "/");
      assert.equal((root.json.version as Json).build_flavor, "serverless");
      assert.equal(root.headers["x-elastic-product"], "Elasticsearch");
      const ilm = await call(fake, "GET", "/_ilm/policy/logs");
      assert.equal(ilm.status, 410);
      assert.deepEqual(ilm.json.error, {
        root_cause: [
          {
            type: "api_not_available_exception",
            reason:
              "Request for uri [/_ilm/policy/logs] with method [GET] exists but is not available when running in serverless mode",
          },
        ],
        type: "api_not_available_exception",
        reason:
          "Request for uri [/_ilm/policy/logs] with method [GET] exists but is not available when running in serverless mode",
      });
      const settings = await call(fake, "PUT", "/_component_template/s", {
        body: JSON.stringify({ template: { settings: { "index.lifecycle.name": "p" } } }),
        headers: JSON_TYPE,
      });
      assert.equal(settings.status, 400);
    });
  });

  it("an unknown route is a 400 'no handler found', and each product lacks the other's lifecycle API", async () => {
    await withFake({}, async (fake) => {
      const ism = await call(fake, "GET", "/_plugins/_ism/policies/p");
      assert.equal(ism.status, 400);
      assert.deepEqual(ism.json, {
        error: "no handler found for uri [/_plugins/_ism/policies/p] and method [GET]",
      });
      const method = await call(fake, "DELETE", "/_bulk");
      assert.equal(method.status, 404); // DELETE /{index}: the index "_bulk" does not exist
    });
    await withFake({ product: "opensearch" }, async (fake) => {
      // A literal route wins over /{index} (a real 2.19.6 node): the method is wrong, not the index.
      const method = await call(fake, "DELETE", "/_bulk");
      assert.equal(method.status, 405);
      const ilm = await call(fake, "PUT", "/_ilm/policy/p", { body: "{}", headers: JSON_TYPE });
      assert.equal(ilm.status, 400);
      assert.equal(ilm.json.error, "no handler found for uri [/_ilm/policy/p] and method [PUT]");
    });
  });
});

describe("authentication", () => {
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
  });

  it("Elasticsearch: 401 security_exception with three challenges, and no product header", async () => {
    const apiKey = Buffer.from("key-id:key-secret").toString("base64");
    await withFake({ basic: { user: "u", password: "p" }, apiKey, bearer: "tok" }, async (fake) => {
      const missing = await call(fake, "GET", "/");
      assert.equal(missing.status, 401);
      assert.equal(missing.headers["x-elastic-product"], undefined);
      assert.deepEqual(missing.headers["www-authenticate"], [
        'Basic realm="security", charset="UTF-8"',
        'Bearer realm="security"',
        "ApiKey",
      ]);
      const cause = missing.json.error as Json;
      assert.equal(cause.type, "security_exception");
      assert.equal(cause.reason, "missing authentication credentials for REST request [/]");
      assert.equal(((cause.root_cause as Json[])[0] as Json).type, "security_exception");
      const wrong = await call(fake, "GET", "/_bulk?x", { headers: basic("u", "bad") });
      assert.equal(wrong.status, 401);
      assert.equal(
        (wrong.json.error as Json).reason,
        "unable to authenticate user [u] for REST request [/_bulk?x]",
      );
      assert.equal((await call(fake, "GET", "/", { headers: basic("u", "p") })).status, 200);
      const good = await call(fake, "GET", "/", { headers: { authorization: `ApiKey ${apiKey}` } });
      assert.equal(good.status, 200);
      assert.equal(good.headers["x-elastic-product"], "Elasticsearch");
      const badKey = await call(fake, "GET", "/", { headers: { authorization: "ApiKey eDp5" } });
      assert.equal(badKey.status, 401);
      assert.match(String((badKey.json.error as Json).reason), /anonymous access is not allowed/);
      assert.equal(
        (await call(fake, "GET", "/", { headers: { authorization: "Bearer tok" } })).status,
        200,
      );
      assert.equal(
        (await call(fake, "GET", "/", { headers: { authorization: "Bearer no" } })).status,
        401,
      );
    });
  });

  it("OpenSearch security plugin: a plain-text 401", async () => {
    await withFake(
      { product: "opensearch", basic: { user: "admin", password: "pw" } },
      async (fake) => {
        const missing = await call(fake, "GET", "/");
        assert.equal(missing.status, 401);
        assert.equal(missing.text, "Unauthorized");
        assert.equal(missing.headers["www-authenticate"], 'Basic realm="OpenSearch Security"');
        assert.equal((await call(fake, "GET", "/", { headers: basic("admin", "pw") })).status, 200);
      },
    );
  });

  const credentials = {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret/key",
    region: "eu-west-1",
  };

  /** Headers signed with aws4; for aoss the payload hash is taken over `hashed` (default: body). */
  function signed(
    fake: SearchFake,
    service: "es" | "aoss",
    method: string,
    path: string,
    body?: Buffer,
    extra: Record<string, string> = {},
    hashed = body,
  ) {
    const host = new URL(fake.url).host;
    const headers: Record<string, string> = { ...extra };
    if (service === "aoss")
      headers["x-amz-content-sha256"] = createHash("sha256")
        .update(hashed ?? "")
        .digest("hex");
    const options = aws4.sign(
      { host, method, path, headers, body, service, region: credentials.region },
      credentials,
    );
    return options.headers as Record<string, string>;
  }

  it("SigV4 for Amazon OpenSearch Service (es): signed passes, wrong secret or unsigned is 403", async () => {
    await withFake(
      { product: "opensearch", aws: { ...credentials, service: "es" } },
      async (fake) => {
        const good = await call(fake, "GET", "/", { headers: signed(fake, "es", "GET", "/") });
        assert.equal(good.status, 200);
        const unsigned = await call(fake, "GET", "/");
        assert.equal(unsigned.status, 403);
        assert.deepEqual(unsigned.json, { message: "Missing Authentication Token" });
        const host = new URL(fake.url).host;
        const forged = aws4.sign(
          { host, method: "GET", path: "/", service: "es", region: "eu-west-1" },
          { ...credentials, secretAccessKey: "other" },
        );
        const bad = await call(fake, "GET", "/", {
          headers: forged.headers as Record<string, string>,
        });
        assert.equal(bad.status, 403);
        assert.match(
          String(bad.json.message),
          /^The request signature we calculated does not match/,
        );
      },
    );
  });

  it("SigV4 for Serverless (aoss): the payload hash must be sent, over the gzipped bytes", async () => {
    await withFake(
      { product: "opensearch", serverless: true, aws: { ...credentials, service: "aoss" } },
      async (fake) => {
        const body = gzipSync(ndjson({ create: { _index: "auth0" } }, { a: 1 }));
        const headers = { ...NDJSON, "content-encoding": "gzip" };
        const good = await bulk(
          fake,
          "/_bulk",
          body,
          signed(fake, "aoss", "POST", "/_bulk", body, headers),
        );
        assert.equal(good.status, 200);
        assert.equal(good.json.errors, false);
        const plain = Buffer.from(ndjson({ create: { _index: "auth0" } }, { a: 1 }));
        const wrongBytes = signed(fake, "aoss", "POST", "/_bulk", body, headers, plain); // hashed before gzip
        assert.equal((await bulk(fake, "/_bulk", body, wrongBytes)).status, 403);
        const host = new URL(fake.url).host;
        const noHash = aws4.sign(
          {
            host,
            method: "POST",
            path: "/_bulk",
            body,
            headers,
            service: "aoss",
            region: "eu-west-1",
          },
          credentials,
        );
        const refused = await bulk(fake, "/_bulk", body, noHash.headers as Record<string, string>);
        assert.equal(refused.status, 403);
      },
    );
  });
});

describe("_bulk into a data stream made by the built-in logs-*-* template (ES 8)", () => {
  let fake: SearchFake;
  const stream = "logs-auth0.logs-default";
  before(async () => {
    fake = await startSearch({ maxContentLength: 64 * 1024 });
  });
  after(() => fake.close());

  it("creates the data stream and answers 201 per item, in order, with the backing index", async () => {
    const body = ndjson(
      { create: { _id: "a" } },
      { "@timestamp": now(), message: "one" },
      { create: { _id: "b" } },
      { "@timestamp": now(), message: "two" },
    );
    const response = await bulk(fake, `/${stream}/_bulk`, body);
    assert.equal(response.status, 200);
    assert.equal(response.json.errors, false);
    const [first, second] = items(response);
    assert.match(
      String(first?._index),
      /^\.ds-logs-auth0\.logs-default-\d{4}\.\d{2}\.\d{2}-000001$/,
    );
    assert.deepEqual(
      [first?._id, first?.status, first?.result, first?._version],
      ["a", 201, "created", 1],
    );
    assert.deepEqual([second?._id, second?._seq_no], ["b", 1]);
    assert.deepEqual(fake.targets(), [stream]);
    assert.deepEqual([...fake.documents(stream).keys()], ["a", "b"]);
    const info = await call(fake, "GET", `/_data_stream/${stream}`);
    const streams = info.json.data_streams as Json[];
    assert.equal(streams[0]?.template, "logs");
    assert.deepEqual(streams[0]?.timestamp_field, { name: "@timestamp" });
  });

  it("re-creating an _id answers 409 version_conflict_engine_exception and keeps one copy", async () => {
    const response = await bulk(
      fake,
      "/_bulk",
      ndjson({ create: { _index: stream, _id: "a" } }, { "@timestamp": now() }),
    );
    const [item] = items(response);
    assert.equal(response.json.errors, true);
    assert.equal(item?.status, 409);
    assert.equal(error(item as Json).type, "version_conflict_engine_exception");
    assert.equal(
      error(item as Json).reason,
      "[a]: version conflict, document already exists (current version [1])",
    );
    assert.equal(fake.idCounts().get("a"), 1);
  });

  it("refuses per item: _id in the source, a missing @timestamp, an index op", async () => {
    const response = await bulk(
      fake,
      `/${stream}/_bulk`,
      ndjson(
        { create: { _id: "c" } },
        { "@timestamp": now(), _id: "c" },
        { create: { _id: "d" } },
        { message: "no time" },
        { index: { _id: "e" } },
        { "@timestamp": now() },
        { create: { _id: "f" } },
        { "@timestamp": now() },
      ),
    );
    const [withId, noTime, indexOp, fine] = items(response);
    assert.equal(withId?.status, 400);
    assert.equal(error(withId as Json).type, "document_parsing_exception");
    // Wrapped as a failure to parse the field, as a real 8.19.8 node says it.
    assert.match(
      String(error(withId as Json).reason),
      /^\[1:\d+\] failed to parse field \[_id\] of type \[_id\] in document with id 'c'/,
    );
    assert.match(
      String((error(withId as Json).caused_by as Json).reason),
      /^\[1:\d+\] Field \[_id\] is a metadata field and cannot be added inside a document\. Use the index API request parameters\.$/,
    );
    assert.equal(noTime?.status, 400);
    assert.match(
      String(error(noTime as Json).reason),
      /^\[1:\d+\] failed to parse: data stream timestamp field \[@timestamp\] is missing$/,
    );
    assert.equal(indexOp?.status, 400);
    assert.deepEqual(error(indexOp as Json), {
      type: "illegal_argument_exception",
      reason: "only write ops with an op_type of create are allowed in data streams",
    });
    assert.equal(fine?.status, 201);
    assert.equal(fake.documents(stream).has("c"), false);
  });

  it("whole-request refusals: no trailing newline, a malformed action line, 406, 413", async () => {
    const unterminated = await bulk(
      fake,
      "/_bulk",
      `{"create":{"_index":"${stream}"}}\n{"@timestamp":"${now()}"}`,
    );
    assert.equal(unterminated.status, 400);
    assert.equal(
      (unterminated.json.error as Json).reason,
      "The bulk request must be terminated by a newline [\n]",
    );
    const malformed = await bulk(fake, "/_bulk", '"create"\n{}\n');
    assert.equal(malformed.status, 400);
    assert.equal(
      (malformed.json.error as Json).reason,
      "Malformed action/metadata line [1], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]",
    );
    const text = await call(fake, "POST", "/_bulk", {
      body: "{}\n",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(text.status, 406);
    assert.deepEqual(text.json, {
      error: "Content-Type header [text/plain] is not supported",
      status: 406,
    });
    const big = gzipSync(
      ndjson({ create: { _index: stream } }, { "@timestamp": now(), pad: "x".repeat(70_000) }),
    );
    assert.ok(big.length < 64 * 1024);
    const tooLarge = await bulk(fake, "/_bulk", big, { "content-encoding": "gzip" });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.text, "");
  });

  it("reads gzip bodies, and holds ES 9 clients' compatible-with=9 against an 8.x node", async () => {
    const zipped = gzipSync(
      ndjson({ create: { _index: stream, _id: "z" } }, { "@timestamp": now() }),
    );
    const response = await bulk(fake, "/_bulk", zipped, { "content-encoding": "gzip" });
    assert.equal(items(response)[0]?.status, 201);
    const v9 = "application/vnd.elasticsearch+x-ndjson; compatible-with=9";
    const refused = await bulk(fake, "/_bulk", zipped, {
      "content-type": v9,
      accept: "application/vnd.elasticsearch+json; compatible-with=9",
      "content-encoding": "gzip",
    });
    assert.equal(refused.status, 400);
    const cause = refused.json.error as Json;
    assert.equal(cause.type, "media_type_header_exception");
    assert.match(
      String((cause.caused_by as Json).reason),
      /^Accept version must be either version 8 or 7, but found 9/,
    );
    const v8 = await call(fake, "GET", "/", {
      headers: { accept: "application/vnd.elasticsearch+json; compatible-with=8" },
    });
    assert.equal(v8.status, 200);
    assert.equal(
      v8.headers["content-type"],
      "application/vnd.elasticsearch+json;compatible-with=8",
    );
  });

  it("the logs template's ignore_malformed drops a clashing leaf instead of refusing the document", async () => {
    await bulk(
      fake,
      `/${stream}/_bulk`,
      ndjson({ create: {} }, { "@timestamp": now(), source: { port: 443 } }),
    );
    const response = await bulk(
      fake,
      `/${stream}/_bulk`,
      ndjson({ create: {} }, { "@timestamp": now(), source: { port: "https" } }),
    );
    assert.equal(items(response)[0]?.status, 201);
    const mapping = fake.mappingOf(stream) as Json;
    const source = (mapping.properties as Json).source as Json;
    assert.deepEqual((source.properties as Json).port, { type: "long" });
  });
});

describe("mappings of a plain index (dynamic mapping, no template)", () => {
  let fake: SearchFake;
  before(async () => {
    fake = await startSearch({});
  });
  after(() => fake.close());

  it("the first type wins; a later clash is a per-item 400 and the rest of the batch is indexed", async () => {
    await bulk(
      fake,
      "/auth0/_bulk",
      ndjson({ create: { _id: "1" } }, { n: 1, details: { request: { body: { a: 1 } } }, s: "x" }),
    );
    const response = await bulk(
      fake,
      "/auth0/_bulk",
      ndjson(
        { create: { _id: "2" } },
        { n: "abc", extra: true },
        { create: { _id: "3" } },
        { n: "12", details: { request: { body: { b: 2 } } } },
        { create: { _id: "4" } },
        { details: { request: { body: "text" } } },
        { create: { _id: "5" } },
        { s: { a: 1 } },
      ),
    );
    const [numberClash, coerced, objectClash, concreteClash] = items(response);
    assert.equal(numberClash?.status, 400);
    assert.equal(error(numberClash as Json).type, "document_parsing_exception");
    assert.match(
      String(error(numberClash as Json).reason),
      /^\[1:6\] failed to parse field \[n\] of type \[long\] in document with id '2'\. Preview of field's value: 'abc'$/,
    );
    assert.equal(coerced?.status, 201);
    assert.match(
      String(error(objectClash as Json).reason),
      /object mapping for \[details\.request\.body\] tried to parse field \[body\] as object, but found a concrete value$/,
    );
    assert.match(
      String(error(concreteClash as Json).reason),
      /failed to parse field \[s\] of type \[text\] in document with id '5'\. Preview of field's value: '\{a=1\}'$/,
    );
    const properties = (fake.mappingOf("auth0") as Json).properties as Json;
    assert.equal(properties.extra, undefined, "a refused document adds no field");
    assert.deepEqual(properties.s, {
      type: "text",
      fields: { keyword: { type: "keyword", ignore_above: 256 } },
    });
  });

  it("1000 fields are allowed, the 1001st is refused with ES's message", async () => {
    const wide: Json = {};
    for (let i = 0; i < 1000; i++) wide[`f${i}`] = i;
    assert.equal(
      items(await bulk(fake, "/wide/_bulk", ndjson({ create: {} }, wide)))[0]?.status,
      201,
    );
    const [over] = items(
      await bulk(fake, "/wide/_bulk", ndjson({ create: {} }, { more: 1, andMore: 2 })),
    );
    assert.equal(over?.status, 400);
    assert.deepEqual(error(over as Json), {
      type: "illegal_argument_exception",
      reason: "Limit of total fields [1000] has been exceeded while adding new fields [2]",
    });
  });

  it("dynamic strict and the depth limit refuse per item", async () => {
    const strict = await call(fake, "PUT", "/strict", {
      body: JSON.stringify({
        mappings: { dynamic: "strict", properties: { a: { type: "keyword" } } },
      }),
      headers: JSON_TYPE,
    });
    assert.equal(strict.status, 200);
    const [refused] = items(
      await bulk(fake, "/strict/_bulk", ndjson({ create: {} }, { a: "x", b: 1 })),
    );
    assert.equal(error(refused as Json).type, "strict_dynamic_mapping_exception");
    assert.match(
      String(error(refused as Json).reason),
      /mapping set to strict, dynamic introduction of \[b\] within \[_doc\] is not allowed$/,
    );
    let deep: Json = { leaf: 1 };
    for (let i = 0; i < 21; i++) deep = { [`l${i}`]: deep };
    const [tooDeep] = items(await bulk(fake, "/deep/_bulk", ndjson({ create: {} }, deep)));
    assert.equal(error(tooDeep as Json).type, "illegal_argument_exception");
    assert.match(
      String(error(tooDeep as Json).reason),
      /^Limit of mapping depth \[20\] has been exceeded due to object field \[l20\.l19/,
    );
  });
});

describe("templates and lifecycle policies", () => {
  const auth0Template = (type: string, priority = 500) =>
    JSON.stringify({
      index_patterns: ["logs-auth0.logs-*"],
      priority,
      data_stream: {},
      template: {
        settings: { "index.mapping.total_fields.limit": 50 },
        mappings: { properties: { "auth0.logs.data.details": { type } } },
      },
    });

  it("ES knows flattened but not flat_object; its template drives the data stream", async () => {
    await withFake({}, async (fake) => {
      const refused = await call(fake, "PUT", "/_index_template/auth0", {
        body: auth0Template("flat_object"),
        headers: JSON_TYPE,
      });
      assert.equal(refused.status, 400);
      assert.match(
        refused.text,
        /No handler for type \[flat_object\] declared on field \[details\]/,
      );
      const put = await call(fake, "PUT", "/_index_template/auth0", {
        body: auth0Template("flattened"),
        headers: JSON_TYPE,
      });
      assert.deepEqual([put.status, put.json], [200, { acknowledged: true }]);
      const doc = {
        "@timestamp": now(),
        auth0: { logs: { data: { details: { prompts: [{ identity: "abc" }, { identity: 3 }] } } } },
      };
      const response = await bulk(
        fake,
        "/logs-auth0.logs-prod/_bulk",
        ndjson({ create: { _id: "x" } }, doc),
      );
      assert.equal(items(response)[0]?.status, 201);
      const stream = (
        (await call(fake, "GET", "/_data_stream/logs-auth0.logs-prod")).json.data_streams as Json[]
      )[0];
      assert.equal(stream?.template, "auth0");
      assert.ok(fake.templates().has("auth0"));
      const got = await call(fake, "GET", "/_index_template/auth0");
      const [entry] = got.json.index_templates as Json[];
      assert.equal(entry?.name, "auth0");
      const missing = await call(fake, "GET", "/_index_template/none");
      assert.equal(missing.status, 404);
      assert.equal((missing.json.error as Json).type, "resource_not_found_exception");
    });
  });

  it("OpenSearch 2.17 knows flat_object but not flattened", async () => {
    await withFake({ product: "opensearch" }, async (fake) => {
      assert.equal(
        (
          await call(fake, "PUT", "/_index_template/auth0", {
            body: auth0Template("flattened"),
            headers: JSON_TYPE,
          })
        ).status,
        400,
      );
      assert.equal(
        (
          await call(fake, "PUT", "/_index_template/auth0", {
            body: auth0Template("flat_object"),
            headers: JSON_TYPE,
          })
        ).status,
        200,
      );
    });
  });

  it("OpenSearch's flat_object refuses a leaf too long for one term, or for its doc value", async () => {
    // Lucene's limit, 32 766 UTF-8 bytes, on the leaf, on "flat.a=<leaf>", and on that term's
    // doc value, which has "flat." before it (checked on 2.19.6: conformance-cases.ts).
    await withFake({ product: "opensearch", version: "2.19.6" }, async (fake) => {
      const mappings = { properties: { flat: { type: "flat_object" } } };
      const made = await call(fake, "PUT", "/flat", {
        body: JSON.stringify({ mappings }),
        headers: JSON_TYPE,
      });
      assert.equal(made.status, 200, made.text);
      const leaves = [
        "x".repeat(32_754),
        "x".repeat(32_755),
        "é".repeat(16_378),
        "y".repeat(40_000),
      ];
      const answer = await bulk(
        fake,
        "/flat/_bulk",
        ndjson(...leaves.flatMap((a, i) => [{ create: { _id: `l${i}` } }, { flat: { a } }])),
      );
      const [fits, docValue, utf8, term] = items(answer);
      assert.equal(fits?.status, 201);
      for (const refused of [docValue, utf8]) {
        assert.equal(refused?.status, 400);
        assert.equal(
          error(refused as Json).reason,
          'DocValuesField "flat._valueAndPath" is too large, must be <= 32766',
        );
      }
      assert.equal(term?.status, 400);
      assert.match(
        String(error(term as Json).reason),
        /^Document contains at least one immense term in field="flat\._value"/,
      );
    });
  });

  it("ES refuses a template at the priority of an overlapping one, the built-in logs included", async () => {
    await withFake({}, async (fake) => {
      const clash = await call(fake, "PUT", "/_index_template/auth0", {
        body: auth0Template("flattened", 100),
        headers: JSON_TYPE,
      });
      assert.equal(clash.status, 400);
      assert.equal(
        (clash.json.error as Json).reason,
        "index template [auth0] has index patterns [logs-auth0.logs-*] matching patterns from existing templates [logs] with patterns (logs => [logs-*-*]) that have the same priority [100], multiple index templates may not match during index creation, please use a different priority",
      );
      const missing = await call(fake, "PUT", "/_index_template/t", {
        body: JSON.stringify({ index_patterns: ["t-*"], composed_of: ["nope"] }),
        headers: JSON_TYPE,
      });
      assert.equal((missing.json.error as Json).type, "invalid_index_template_exception");
      assert.equal(
        (missing.json.error as Json).reason,
        "index_template [t] invalid, cause [index template [t] specifies component templates [nope] that do not exist]",
      );
    });
  });

  it("ILM on Elasticsearch; ISM on OpenSearch updates only with the current seq_no and primary term", async () => {
    await withFake({}, async (fake) => {
      const policy = JSON.stringify({
        policy: {
          phases: {
            hot: { actions: { rollover: { max_age: "30d" } } },
            delete: { min_age: "90d", actions: { delete: {} } },
          },
        },
      });
      assert.deepEqual(
        (await call(fake, "PUT", "/_ilm/policy/auth0", { body: policy, headers: JSON_TYPE })).json,
        { acknowledged: true },
      );
      assert.equal(((await call(fake, "GET", "/_ilm/policy/auth0")).json.auth0 as Json).version, 1);
      assert.ok(fake.policies().has("auth0"));
    });
    await withFake({ product: "opensearch" }, async (fake) => {
      const policy = JSON.stringify({
        policy: {
          description: "auth0",
          default_state: "hot",
          states: [{ name: "hot", actions: [], transitions: [] }],
        },
      });
      const put = (query = "") =>
        call(fake, "PUT", `/_plugins/_ism/policies/auth0${query}`, {
          body: policy,
          headers: JSON_TYPE,
        });
      const created = await put();
      assert.equal(created.status, 201);
      assert.deepEqual([created.json._version, created.json._primary_term], [1, 1]);
      const again = await put();
      assert.equal(again.status, 409);
      assert.equal((again.json.error as Json).type, "version_conflict_engine_exception");
      assert.equal(
        (await put(`?if_seq_no=${Number(created.json._seq_no) + 5}&if_primary_term=1`)).status,
        409,
      );
      const updated = await put(`?if_seq_no=${created.json._seq_no}&if_primary_term=1`);
      assert.deepEqual([updated.status, updated.json._version], [200, 2]);
      const got = await call(fake, "GET", "/_plugins/_ism/policies/auth0");
      assert.deepEqual([got.json._id, got.json._seq_no], ["auth0", updated.json._seq_no]);
    });
  });

  it("write-only privileges refuse template and policy calls with 403, but bulk writes work", async () => {
    await withFake(
      { privileges: "write-only", basic: { user: "u", password: "p" } },
      async (fake) => {
        const auth = { authorization: `Basic ${Buffer.from("u:p").toString("base64")}` };
        const put = await call(fake, "PUT", "/_index_template/auth0", {
          body: auth0Template("flattened"),
          headers: { ...JSON_TYPE, ...auth },
        });
        assert.equal(put.status, 403);
        assert.equal(
          (put.json.error as Json).reason,
          "action [indices:admin/index_template/put] is unauthorized for user [u] with effective roles [writer], this action is granted by the cluster privileges [manage_index_templates,manage,all]",
        );
        assert.equal(
          (await call(fake, "GET", "/_index_template/logs", { headers: auth })).status,
          403,
        );
        assert.equal((await call(fake, "GET", "/_ilm/policy/logs", { headers: auth })).status, 403);
        const write = await bulk(
          fake,
          "/logs-a-b/_bulk",
          ndjson({ create: {} }, { "@timestamp": now() }),
          auth,
        );
        assert.equal(items(write)[0]?.status, 201);
      },
    );
  });

  it("write-only users may not create data streams explicitly; _has_privileges says what they may do", async () => {
    await withFake(
      { privileges: "write-only", basic: { user: "u", password: "p" } },
      async (fake) => {
        const auth = { authorization: `Basic ${Buffer.from("u:p").toString("base64")}` };
        const create = await call(fake, "PUT", "/_data_stream/logs-a-b", { headers: auth });
        assert.equal(create.status, 403);
        assert.equal(
          (create.json.error as Json).reason,
          "action [indices:admin/data_stream/create] is unauthorized for user [u] with effective roles [writer] on indices [logs-a-b], this action is granted by the index privileges [create_index,manage,all]",
        );
        const asked = await call(fake, "POST", "/_security/user/_has_privileges", {
          body: JSON.stringify({
            cluster: ["monitor", "manage_index_templates"],
            index: [{ names: ["logs-a-b"], privileges: ["create_doc", "create_index"] }],
          }),
          headers: { ...JSON_TYPE, ...auth },
        });
        assert.deepEqual(asked.json, {
          username: "u",
          has_all_requested: false,
          cluster: { monitor: true, manage_index_templates: false },
          index: { "logs-a-b": { create_doc: true, create_index: false } },
          application: {},
        });
      },
    );
    await withFake({}, async (fake) => {
      // Security off: ES has no _security API to ask.
      const asked = await call(fake, "POST", "/_security/user/_has_privileges", {
        body: "{}",
        headers: JSON_TYPE,
      });
      assert.equal(asked.status, 500);
    });
  });

  it("ISM attaches a policy to indices created after it, matching a backing index by its data stream's name", async () => {
    await withFake({ product: "opensearch" }, async (fake) => {
      const put = (path: string, body: unknown) =>
        call(fake, "PUT", path, { body: JSON.stringify(body), headers: JSON_TYPE });
      const policy = (patterns: string[], priority: number) => ({
        policy: {
          description: "p",
          default_state: "hot",
          states: [{ name: "hot", actions: [], transitions: [] }],
          ism_template: [{ index_patterns: patterns, priority }],
        },
      });
      const explain = async (index: string) =>
        (await call(fake, "GET", `/_plugins/_ism/explain/${index}`)).json;
      const write = (target: string) =>
        bulk(fake, `/${target}/_bulk`, ndjson({ create: {} }, { "@timestamp": now() }));
      await put("/_index_template/x", { index_patterns: ["logs-x-*"], data_stream: {} });
      // Created before any policy: never attached later.
      await write("logs-x-early");
      assert.equal(
        (await put("/_plugins/_ism/policies/backing", policy([".ds-logs-x-*"], 100))).status,
        201,
      );
      assert.equal(
        (await put("/_plugins/_ism/policies/low", policy(["logs-x-*"], 50))).status,
        201,
      );
      assert.equal(
        (await put("/_plugins/_ism/policies/by-name", policy(["logs-x-*", "-logs-x-skip"], 100)))
          .status,
        201,
      );
      await write("logs-x-late");
      await write("logs-x-skip");
      await call(fake, "PUT", "/plain-x");
      const managed = fake.ismManaged();
      assert.equal(
        managed.get(".ds-logs-x-late-000001"),
        "by-name",
        "the highest priority, by the stream's name",
      );
      assert.equal(managed.get(".ds-logs-x-skip-000001"), "low", "excluded from by-name");
      assert.equal(managed.has(".ds-logs-x-early-000001"), false);
      assert.equal(managed.has("plain-x"), false);
      assert.deepEqual(await explain("logs-x-early"), {
        ".ds-logs-x-early-000001": {
          "index.plugins.index_state_management.policy_id": null,
          "index.opendistro.index_state_management.policy_id": null,
          enabled: null,
        },
        total_managed_indices: 0,
      });
      const late = (await explain(".ds-logs-x-late-000001"))[".ds-logs-x-late-000001"] as Json;
      assert.deepEqual([late.policy_id, late.enabled], ["by-name", true]);
      const added = await call(
        fake,
        "POST",
        "/_plugins/_ism/add/.ds-logs-x-early-000001,.ds-logs-x-late-000001",
        {
          body: JSON.stringify({ policy_id: "by-name" }),
          headers: JSON_TYPE,
        },
      );
      assert.equal(added.json.updated_indices, 1);
      assert.equal(added.json.failures, true);
      assert.equal(fake.ismManaged().get(".ds-logs-x-early-000001"), "by-name");
    });
  });

  it("Serverless: no ISM, and a timeseries collection refuses client-supplied _ids", async () => {
    await withFake(
      { product: "opensearch", serverless: true, collection: "timeseries" },
      async (fake) => {
        assert.equal((await call(fake, "GET", "/_plugins/_ism/policies/p")).status, 404);
        const response = await bulk(
          fake,
          "/auth0/_bulk",
          ndjson({ create: { _id: "given" } }, { a: 1 }, { create: {} }, { a: 2 }),
        );
        const [given, generated] = items(response);
        assert.deepEqual(error(given as Json), {
          type: "illegal_argument_exception",
          reason: "Document ID is not supported in create/index operation request",
        });
        assert.equal(generated?.status, 201);
      },
    );
  });
});

describe("faults on _bulk (faults)", () => {
  let fake: SearchFake;
  const indexed: string[][] = [];
  before(async () => {
    fake = await startSearch({ slowMs: 150, onIndexed: (ids) => indexed.push(ids) });
  });
  after(() => fake.close());
  const body = () =>
    ndjson(
      { create: { _id: "p" } },
      { a: 1 },
      { create: { _id: "q" } },
      { a: 2 },
      { create: { _id: "r" } },
      { a: 3 },
    );

  it("429 and 503 refuse the whole request with ES bodies, then the cluster recovers", async () => {
    fake.reset();
    fake.failNext("429");
    fake.failNext("503", 2);
    const rejected = await bulk(fake, "/f/_bulk", body());
    assert.equal(rejected.status, 429);
    assert.equal((rejected.json.error as Json).type, "es_rejected_execution_exception");
    assert.equal(rejected.json.status, 429);
    const shards = await bulk(fake, "/f/_bulk", body());
    const blocked = await bulk(fake, "/f/_bulk", body());
    assert.deepEqual([shards.status, blocked.status], [503, 503]);
    assert.deepEqual(
      [(shards.json.error as Json).type, (blocked.json.error as Json).type],
      ["unavailable_shards_exception", "cluster_block_exception"],
    );
    assert.equal(fake.documents("f").size, 0);
    assert.equal((await call(fake, "GET", "/")).status, 200, "GET / takes no fault");
    assert.equal(items(await bulk(fake, "/f/_bulk", body())).length, 3);
  });

  it("reset-before applies nothing; reset-after applies, tells onIndexed, and never answers", async () => {
    fake.reset();
    indexed.length = 0;
    fake.failNext("reset-before");
    await assert.rejects(bulk(fake, "/f/_bulk", body()));
    assert.equal(fake.documents("f").size, 0);
    fake.failNext("reset-after");
    await assert.rejects(bulk(fake, "/f/_bulk", body()));
    assert.deepEqual(indexed, [["p", "q", "r"]]);
    assert.equal(fake.documents("f").size, 3);
    const replay = items(await bulk(fake, "/f/_bulk", body()));
    assert.deepEqual(
      replay.map((item) => item.status),
      [409, 409, 409],
    );
  });

  it("item-429 and item-503 fail every second item (from the first), which is not applied", async () => {
    fake.reset();
    fake.failNext("item-429");
    const first = items(await bulk(fake, "/f/_bulk", body()));
    assert.deepEqual(
      first.map((item) => item.status),
      [429, 201, 429],
    );
    assert.equal(error(first[0] as Json).type, "es_rejected_execution_exception");
    assert.deepEqual([...fake.documents("f").keys()], ["q"]);
    fake.failNext("item-503");
    const second = items(await bulk(fake, "/f/_bulk", body()));
    assert.deepEqual(
      second.map((item) => item.status),
      [503, 409, 503],
    );
    assert.equal(error(second[0] as Json).type, "unavailable_shards_exception");
  });

  it("slow answers after slowMs; a seeded plan draws the same faults each run", async () => {
    fake.reset();
    fake.failNext("slow");
    const started = Date.now();
    assert.equal((await bulk(fake, "/f/_bulk", body())).status, 200);
    assert.ok(Date.now() - started >= 140);
    fake.setFaults({ rate: 1, kinds: ["429"], seed: 7 });
    assert.equal((await bulk(fake, "/f/_bulk", body())).status, 429);
    fake.setFaults(null);
    assert.equal(fake.status.get(429), 1);
    assert.equal(fake.requests.at(-1)?.items, 0);
  });
});

describe("faults on other routes (adminFaults)", () => {
  it("GET /, templates and policies meet 429, 503 and resets; _bulk does not draw from them", async () => {
    await withFake({}, async (fake) => {
      fake.failNextAdmin("429");
      fake.failNextAdmin("503");
      fake.failNextAdmin("reset-before");
      const busy = await call(fake, "GET", "/");
      assert.equal(busy.status, 429);
      assert.equal((busy.json.error as Json).type, "es_rejected_execution_exception");
      assert.equal((await call(fake, "GET", "/_index_template/logs")).status, 503);
      await assert.rejects(call(fake, "GET", "/_ilm/policy/logs"));
      assert.equal((await call(fake, "GET", "/")).status, 200);
      fake.setAdminFaults({ rate: 1, kinds: ["503"], seed: 3 });
      const written = await bulk(fake, "/f/_bulk", ndjson({ create: { _id: "a" } }, { a: 1 }));
      assert.equal(written.status, 200);
      assert.equal((await call(fake, "GET", "/_component_template/logs@settings")).status, 503);
      fake.setAdminFaults(null);
    });
  });
});

describe("inspection routes", () => {
  it("_count sees documents after a refresh; _mapping and GET /<index> answer per backing index", async () => {
    await withFake({}, async (fake) => {
      const response = await bulk(
        fake,
        "/logs-x-y/_bulk?refresh=true",
        ndjson({ create: {} }, { "@timestamp": now() }),
      );
      assert.equal(items(response)[0]?.forced_refresh, true);
      assert.equal((await call(fake, "GET", "/logs-x-y/_count")).json.count, 1);
      const mapping = await call(fake, "GET", "/logs-x-y/_mapping");
      const [name] = Object.keys(mapping.json);
      assert.match(String(name), /^\.ds-logs-x-y-/);
      assert.equal((await call(fake, "POST", "/logs-x-y/_refresh")).status, 200);
      assert.equal((await call(fake, "GET", "/nothing")).status, 404);
      const unknown = await call(fake, "POST", "/_bulk?nonsense=1", {
        body: "{}\n",
        headers: NDJSON,
      });
      assert.equal(
        (unknown.json.error as Json).reason,
        "request [/_bulk] contains unrecognized parameter: [nonsense]",
      );
    });
  });
});
