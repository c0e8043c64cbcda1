// A leaf of details (or another flat_object field) too long for one Lucene term: OpenSearch's
// flat_object refuses the whole document, Elasticsearch's flattened leaves it unindexed
// (ignore_above). On OpenSearch the sink cuts it in the indexed copy and keeps the event whole,
// unindexed, beside it; on Elasticsearch the document goes as it is. Nothing is lost either way.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeDocument } from "../src/sinks/elasticsearch/encoder.ts";
import {
  fitForOpenSearch,
  TERM_BUDGET,
  utf8Prefix,
} from "../src/sinks/elasticsearch/flat-object.ts";
import { world } from "./helpers/world.ts";

type Doc = Record<string, unknown>;
const script = (length: number) => `function rule() {${"x".repeat(length)}}`;
const sapi = (details: unknown): Doc => ({
  log_id: "90020250101000000000000000000000000000000000000000000001",
  type: "sapi",
  date: "2025-01-01T00:00:00.000Z",
  details,
});
const ecs = (event: Doc): Doc => ({
  "@timestamp": "2025-01-01T00:00:00.000Z",
  event: { kind: "event", code: "sapi" },
  auth0: { logs: { data: event } },
});
const bytes = (text: string) => Buffer.byteLength(text);

describe("fitting a document for OpenSearch's flat_object", () => {
  it("leaves a document without an over-long leaf exactly as it is (the same object)", () => {
    const long = sapi({ request: { body: { script: script(10_000) } }, list: [1, true, null] });
    for (const [format, document] of [
      ["ecs", ecs(long)],
      ["extension", long],
      ["log-streams", { log_id: long.log_id, data: long }],
    ] as const) {
      assert.equal(fitForOpenSearch(document, format), document, format);
    }
  });

  it("cuts the leaf to fit, keeps the event whole in event.original and names the cut (ECS)", () => {
    const event = sapi({ request: { body: { script: script(40_000), name: "r" } } });
    const before = JSON.stringify(event);
    const document = ecs(event);
    const fitted = fitForOpenSearch(document, "ecs") as {
      event: { original: string; kind: string };
      auth0: { logs: { data: Doc; truncated_fields: string[] } };
    };
    assert.equal(fitted.event.original, before, "verbatim");
    assert.equal(fitted.event.kind, "event");
    assert.deepEqual(fitted.auth0.logs.truncated_fields, ["details.request.body.script"]);
    const cut = (fitted.auth0.logs.data.details as { request: { body: Doc } }).request.body;
    assert.equal(cut.name, "r", "the other leaves stay");
    const term = `auth0.logs.data.details.request.body.script=${cut.script as string}`;
    assert.equal(bytes(term), TERM_BUDGET, "as long as fits");
    assert.ok((cut.script as string).startsWith("function rule() {xxx"));
    assert.equal(JSON.stringify(document.auth0), JSON.stringify({ logs: { data: event } }));
    assert.equal(JSON.stringify(event), before, "the document given is not changed");
  });

  it("does the same in the other formats, with event_original and truncated_fields", () => {
    const details = { body: [script(40_000), "short"], other: script(40_000) };
    const event = sapi(details);
    const extension = fitForOpenSearch(event, "extension") as Doc;
    assert.equal(extension.event_original, JSON.stringify(event));
    assert.deepEqual(extension.truncated_fields, ["details.body", "details.other"]);
    const [first, second] = (extension.details as { body: string[] }).body;
    assert.equal(bytes(`details.body=${first}`), TERM_BUDGET);
    assert.equal(second, "short");
    const streams = fitForOpenSearch({ log_id: event.log_id, data: event }, "log-streams") as Doc;
    assert.equal(streams.event_original, JSON.stringify(event));
    assert.equal(streams.log_id, event.log_id);
    assert.deepEqual(streams.truncated_fields, ["details.body", "details.other"]);
  });

  it("counts UTF-8 bytes and never splits a code point or a surrogate pair", () => {
    assert.equal(utf8Prefix("aé😀b", 1), "a");
    assert.equal(utf8Prefix("aé😀b", 3), "aé");
    assert.equal(utf8Prefix("aé😀b", 6), "aé");
    assert.equal(utf8Prefix("aé😀b", 7), "aé😀");
    for (const unit of ["é", "€", "😀"]) {
      const fitted = fitForOpenSearch(sapi({ s: unit.repeat(20_000) }), "extension") as Doc;
      const cut = (fitted.details as { s: string }).s;
      assert.ok(bytes(`details.s=${cut}`) <= TERM_BUDGET, unit);
      assert.ok(bytes(`details.s=${cut}${unit}`) > TERM_BUDGET, `${unit}: as long as fits`);
      assert.equal(cut, unit.repeat([...cut].length), `${unit}: whole code points only`);
    }
  });

  it("leaves out of the indexed copy a leaf whose path alone is too long", () => {
    const key = "k".repeat(40_000);
    const event = sapi({ [key]: "v", ok: 1 });
    const fitted = fitForOpenSearch(event, "extension") as Doc;
    assert.deepEqual(fitted.details, { ok: 1 });
    assert.deepEqual(fitted.truncated_fields, [`details.${key}`]);
    assert.equal(fitted.event_original, JSON.stringify(event));
  });

  it("the encoder fits only for OpenSearch: Elasticsearch's flattened has ignore_above", () => {
    const event = sapi({ request: { body: script(40_000) } });
    const line = encodeDocument(structuredClone(event), "extension");
    assert.equal((JSON.parse(line) as Doc).event_original, undefined);
    assert.equal(JSON.parse(line).details.request.body, script(40_000));
    const fitted = JSON.parse(encodeDocument(structuredClone(event), "extension", "opensearch"));
    assert.equal(JSON.parse(fitted.event_original).details.request.body, script(40_000));
    assert.equal(fitted["@timestamp"], "2025-01-01T00:00:00.000Z");
    assert.equal(JSON.parse(fitted.event_original)["@timestamp"], undefined, "the event as sent");
  });
});

describe("an event with a leaf over 32 766 bytes, against the fake cluster", () => {
  const products = [
    { product: "opensearch", version: "2.19.6" },
    { product: "opensearch", version: "3.1.0" },
    { product: "elasticsearch", version: "8.17.0" },
  ] as const;
  for (const cluster of products) {
    for (const format of ["ecs", "extension", "log-streams"] as const) {
      it(`${cluster.product} ${cluster.version}, ${format}: indexed, nothing refused, the script whole in the cluster`, async (t) => {
        const w = await world(t, {
          tenant: { backlog: 10 },
          search: { ...cluster, ism: cluster.product === "opensearch" ? false : undefined },
          env: { DOCUMENT_FORMAT: format },
        });
        const body = { script: script(40_000) };
        const big = w.tenant.addEvent({ type: "sapi", details: { request: { body } } });
        const result = await w.once();
        assert.equal(result.code, 0, result.stderr);
        const [run] = (await w.stored()).runs;
        assert.equal(run?.rejected, 0);
        assert.deepEqual(w.missing(), []);
        const search = w.search as NonNullable<typeof w.search>;
        const target = [...search.targets()][0] as string;
        const document = search.documents(target).get(big) as Doc;
        const event = (
          format === "ecs"
            ? (document.auth0 as { logs: { data: Doc } }).logs.data
            : format === "log-streams"
              ? document.data
              : document
        ) as { details: { request: { body: { script: string } } } };
        const original =
          format === "ecs" ? (document.event as Doc).original : document.event_original;
        if (cluster.product === "elasticsearch") {
          assert.equal(original, undefined, "unchanged");
          assert.equal(event.details.request.body.script, body.script);
          return;
        }
        assert.ok(event.details.request.body.script.length < body.script.length, "cut");
        const kept = JSON.parse(original as string) as typeof event;
        assert.equal(kept.details.request.body.script, body.script, "whole in the original");
        const named =
          format === "ecs"
            ? (document.auth0 as { logs: Doc }).logs.truncated_fields
            : document.truncated_fields;
        assert.deepEqual(named, ["details.request.body.script"]);
      });
    }
  }
});
