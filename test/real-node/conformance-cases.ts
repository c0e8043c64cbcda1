// The conformance cases: requests the exporter makes (or that decide what it sees), each sent in
// order to the fake cluster and to a real node, whose answers must agree on what the exporter
// reads: the status, the error's type and reason, a bulk item's status and error, the fields the
// sink and setup look at. These apply to OpenSearch, to both products, or (conformance-
// elasticsearch.ts) to Elasticsearch only.

import { ELASTICSEARCH_CASES } from "./conformance-elasticsearch.ts";
import { at, bulk, type Case, creates, streamTemplate } from "./conformance-steps.ts";

export type { Case, Product, Step } from "./conformance-steps.ts";
export { encode, substitute } from "./conformance-steps.ts";

const SHARED: Case[] = [
  {
    name: "GET / names the product and version",
    only: "opensearch",
    steps: [{ method: "GET", path: "/" }],
  },
  {
    name: "an unknown path has no handler",
    only: "opensearch",
    steps: [
      { method: "GET", path: "/_plugins/_ism/policies/{p}" },
      { method: "POST", path: "/_security/user/_has_privileges", body: { cluster: ["monitor"] } },
      { method: "GET", path: "/_nope/_nope" },
    ],
  },
  {
    name: "a known path with the wrong method",
    only: "opensearch",
    steps: [{ method: "DELETE", path: "/_bulk" }],
  },
  {
    name: "missing templates, data streams and indices",
    steps: [
      { method: "GET", path: "/_index_template/{p}" },
      { method: "GET", path: "/_component_template/{p}" },
      { method: "HEAD", path: "/{ds}" },
      { method: "GET", path: "/{ds}/_count" },
      { method: "POST", path: "/{ds}/_refresh" },
      { method: "POST", path: "/{ds}/_rollover" },
    ],
  },
  {
    name: "a missing data stream",
    only: "opensearch",
    steps: [{ method: "GET", path: "/_data_stream/{ds}" }],
  },
  {
    name: "a data stream needs a matching template",
    only: "opensearch",
    steps: [{ method: "PUT", path: "/_data_stream/{ds}" }],
  },
  {
    name: "a data stream made explicitly, then again",
    only: "opensearch",
    given: [streamTemplate()],
    steps: [
      { method: "PUT", path: "/_data_stream/{ds}" },
      { method: "PUT", path: "/_data_stream/{ds}" },
      { method: "GET", path: "/_data_stream/{ds}" },
      { method: "POST", path: "/{ds}/_rollover" },
    ],
  },
  {
    name: "mapping types: unknown ones, and parameters flat_object does not take",
    only: "opensearch",
    steps: [
      {
        method: "PUT",
        path: "/_component_template/{p}-a",
        body: { template: { mappings: { properties: { x: { type: "nope" } } } } },
      },
      {
        method: "PUT",
        path: "/_component_template/{p}-b",
        body: {
          template: { mappings: { properties: { x: { type: "flat_object", depth_limit: 5 } } } },
        },
      },
      {
        method: "PUT",
        path: "/_component_template/{p}-c",
        body: {
          template: {
            mappings: {
              dynamic: false,
              properties: {
                a: { type: "flat_object" },
                b: { type: "match_only_text" },
                c: { type: "keyword", ignore_above: 1024 },
                d: { type: "ip", ignore_malformed: true },
                e: { type: "date", ignore_malformed: true },
                f: { type: "geo_point" },
                g: { type: "text", fields: { keyword: { type: "keyword" } } },
              },
            },
          },
        },
      },
    ],
  },
  {
    name: "an index template naming a component template that does not exist",
    steps: [
      {
        method: "PUT",
        path: "/_index_template/{p}",
        body: { index_patterns: ["{dsfamily}"], composed_of: ["{p}-none"], priority: 7 },
      },
    ],
  },
  {
    name: "overlapping index templates at equal priority",
    given: [streamTemplate()],
    steps: [
      {
        method: "PUT",
        path: "/_index_template/{p}-twin",
        body: { index_patterns: ["{dsfamily}"], data_stream: {}, priority: 200 },
      },
    ],
  },
  {
    name: "create by id, then the same id again: 409",
    given: [streamTemplate()],
    steps: [
      bulk(creates(["a1", at({ n: 1 })])),
      bulk(creates(["a1", at({ n: 1 })], ["a2", at({ n: 2 })])),
    ],
  },
  {
    name: "a data stream takes only create, and documents with @timestamp",
    given: [streamTemplate()],
    steps: [
      bulk(
        `${JSON.stringify({ index: { _index: "{ds}", _id: "b1" } })}\n${JSON.stringify(at({}))}\n`,
      ),
      bulk(creates(["b2", { n: 1 }])),
      bulk(creates(["b3", at({ _id: "x" })])),
    ],
  },
  {
    name: "a gzip body, and a body that is not JSON",
    given: [streamTemplate()],
    steps: [
      bulk(creates(["c1", at({ n: 1 })]), true),
      bulk(creates(["c2", "{not json"])),
      bulk(`${JSON.stringify({ create: { _index: "{ds}", _id: "c3" } })}\n`),
    ],
  },
  {
    name: "dynamic mappings: the first type seen wins",
    given: [streamTemplate()],
    steps: [
      bulk(creates(["d1", at({ o: { a: 1 }, n: 5, s: "2026-05-01", i: 4321 })])),
      bulk(creates(["d2", at({ o: "a string" })])),
      bulk(creates(["d3", at({ n: "user-5" })])),
      bulk(creates(["d4", at({ s: "not a date" })])),
      bulk(creates(["d5", at({ i: 12.5 })])),
      bulk(creates(["d6", at({ n: [1, "x"] })])),
      bulk(creates(["d7", at({ fresh: [1, "x"] })])),
      bulk(creates(["d8", at({ mixed: [{ a: 1 }, "x"] })])),
      bulk(creates(["d9", at({ other: ["x", { a: 1 }] })])),
      bulk(creates(["d10", at({ num: [1, 2.5] })])),
      bulk(creates(["d11", at({ prompts: [{ identity: 42 }, { identity: "42" }] })])),
      bulk(creates(["d12", at({ same: [1, 2], dates: ["2026-05-01", "2026-05-02"] })])),
    ],
  },
  {
    name: "flat_object: objects only, and no term or doc value longer than Lucene's limit",
    only: "opensearch",
    given: [
      streamTemplate({
        dynamic: false,
        properties: { "@timestamp": { type: "date" }, flat: { type: "flat_object" } },
      }),
    ],
    steps: [
      bulk(
        creates(
          ["g1", at({ flat: ["a", "b"] })],
          ["g2", at({ flat: true })],
          ["g3", at({ flat: null })],
          ["g4", at({ flat: [] })],
          ["g5", at({ flat: [1, { a: 1 }] })],
          ["g6", at({ flat: {} })],
          ["g7", at({ flat: { a: { b: `é${"x".repeat(40_000)}` } } })],
          ["g8", at({ flat: { a: [["x", "y"], [1]] } })],
          ["g9", at({ flat: { a: null, b: true, c: 1.5 } })],
          ["g10", at({ flat: [{ a: "x" }, "y"] })],
          ["g11", at({ flat: { "a.b": 1, a: { b: 2 } } })],
          ["g12", at({ flat: { a: ["short", "y".repeat(33_000)] } })],
          ["g13", at({ flat: { a: "x".repeat(9_000) } })],
          ["g14", at({ flat: { ["k".repeat(40_000)]: 1 } })],
          // "flat.a=" and the value: a term within the limit, its doc value ("flat." before it) not.
          ["g15", at({ flat: { a: "x".repeat(32_754) } })],
          ["g16", at({ flat: { a: "x".repeat(32_755) } })],
          ["g17", at({ flat: { a: "x".repeat(32_759) } })],
          ["g18", at({ flat: { a: "x".repeat(32_760) } })],
          ["g19", at({ flat: { a: "é".repeat(16_378) } })],
        ),
      ),
    ],
  },
  {
    name: "our field types and what they take",
    only: "opensearch",
    given: [
      streamTemplate({
        dynamic: false,
        properties: {
          "@timestamp": { type: "date" },
          flat: { type: "flat_object" },
          kw: { type: "keyword", ignore_above: 10 },
          ip: { type: "ip", ignore_malformed: true },
          strictIp: { type: "ip" },
          date: { type: "date", ignore_malformed: true },
          geo: { type: "geo_point" },
          text: { type: "text" },
          obj: { type: "object", dynamic: false, properties: { k: { type: "keyword" } } },
        },
      }),
    ],
    steps: [
      bulk(
        creates(
          ["e1", at({ flat: { a: { b: [1, "x", null, { c: true }] } } })],
          ["e2", at({ flat: "a string" })],
          ["e3", at({ flat: 42 })],
          ["e4", at({ flat: [{ a: 1 }, { a: "x" }] })],
          ["e5", at({ kw: "longer than ten characters", ip: "not-an-ip", date: "yesterday" })],
          ["e6", at({ kw: { nested: 1 } })],
          ["e7", at({ kw: 42, text: 42, date: 12345 })],
          ["e8", at({ strictIp: "not-an-ip" })],
          ["e9", at({ geo: { lat: 48.1, lon: 2.3 } })],
          ["e10", at({ geo: { lat: "48.1", lon: "2.3" } })],
          ["e11", at({ geo: { lat: 91, lon: 0 } })],
          ["e12", at({ obj: "a string" })],
          ["e13", at({ obj: { k: { deep: 1 } } })],
          ["e14", at({ unknown: { anything: [1, "x"] } })],
          ["e15", at({ text: { a: 1 } })],
          ["e16", at({ ip: 42, date: true })],
        ),
      ),
    ],
  },
  {
    name: "the total fields limit",
    given: [streamTemplate(undefined, { "index.mapping.total_fields.limit": 20 })],
    steps: [
      bulk(
        creates([
          "f1",
          at(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, i]))),
        ]),
      ),
    ],
  },
];

export const CASES: Case[] = [...SHARED, ...ELASTICSEARCH_CASES];
