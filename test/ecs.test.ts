// The ECS document format and what `setup` installs: every Auth0 code classified with ECS 9
// values only, a realistic event translated field by field, and mappings under which no event
// can be refused for its shape (checked against a few hundred random variations of an event).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { describe, it } from "node:test";
import type { LogEvent } from "../src/interfaces.ts";
import { ecsDocument, makeEcsShaper } from "../src/pipeline/ecs.ts";
import { classify, ECS_VERSION, ecsTable } from "../src/pipeline/ecs-types.ts";
import { logTypes } from "../src/pipeline/log-types.ts";
import {
  type Product,
  type SetupOptions,
  setupPlan,
  TEMPLATE_PRIORITY,
  type TemplateFormat,
} from "../src/sinks/elasticsearch/templates.ts";
import { LOG_ID, realistic, variations } from "./helpers/variations.ts";

// ECS 9 (elastic/ecs schemas/event.yml), written out here independently of the module.
const EXPECTED_TYPES: Record<string, string[]> = {
  authentication: ["start", "end", "info"],
  iam: ["admin", "change", "creation", "deletion", "group", "info", "user"],
  session: ["start", "end", "info"],
  configuration: ["access", "change", "creation", "deletion", "info"],
  intrusion_detection: ["allowed", "denied", "info"],
  network: ["access", "allowed", "connection", "denied", "end", "info", "protocol", "start"],
  api: [
    ...["access", "admin", "allowed", "change", "creation", "deletion", "denied", "end", "info"],
    ...["start", "user"],
  ],
  web: ["access", "error", "info"],
  email: ["info"],
};
const ECS_CATEGORIES = new Set([
  ...["api", "authentication", "configuration", "database", "driver", "email", "file", "host"],
  ...["iam", "intrusion_detection", "library", "malware", "network", "package", "process"],
  ...["registry", "session", "threat", "vulnerability", "web"],
]);

const OPTIONS = { dataset: "auth0.export", namespace: "default" };

describe("ECS classification", () => {
  it("gives each of the 185 codes ECS 9 values only, and its own action", () => {
    assert.equal(logTypes.size, 185);
    const actions = new Set<string>();
    for (const code of logTypes.keys()) {
      const c = classify(code);
      assert.ok(c.category.length > 0, `${code} has no category`);
      for (const category of c.category) {
        assert.ok(ECS_CATEGORIES.has(category), `${code}: ${category}`);
        assert.ok(EXPECTED_TYPES[category], `${code}: ${category} not one we expect to use`);
      }
      assert.ok(c.type.length > 0, code);
      for (const type of c.type) {
        assert.ok(
          c.category.some((category) => EXPECTED_TYPES[category]?.includes(type)),
          `${code}: type ${type} fits none of ${c.category}`,
        );
      }
      assert.ok(["success", "failure", "unknown"].includes(c.outcome), code);
      assert.match(c.action, /^[a-z0-9]+(-[a-z0-9]+)*$/, code);
      assert.ok(!actions.has(c.action), `${code}: action ${c.action} taken twice`);
      actions.add(c.action);
    }
  });

  it("classifies logins, logouts, signups, blocks and management calls as ECS expects", () => {
    assert.deepEqual(classify("s"), {
      category: ["authentication"],
      type: ["start"],
      action: "success-login",
      outcome: "success",
    });
    for (const code of ["f", "fp", "fu"]) {
      assert.ok(classify(code).category.includes("authentication"), code);
      assert.equal(classify(code).outcome, "failure", code);
    }
    assert.equal(classify("f").action, "failed-login");
    assert.ok(classify("slo").category.includes("session"));
    assert.deepEqual(classify("slo").type, ["end"]);
    assert.deepEqual(classify("ss").category, ["iam"]);
    assert.deepEqual(classify("ss").type, ["user", "creation"]);
    assert.ok(classify("limit_wc").category.includes("intrusion_detection"));
    assert.deepEqual(classify("limit_wc").type, ["denied"]);
    assert.ok(classify("pwd_leak").category.includes("intrusion_detection"));
    assert.deepEqual(classify("seccft").category, ["authentication"]);
    assert.equal(classify("seccft").outcome, "success");
    for (const code of ["sapi", "fapi"]) {
      assert.ok(classify(code).category.includes("iam"), code);
      assert.ok(classify(code).category.includes("configuration"), code);
      assert.deepEqual(classify(code).type, ["change"], code);
    }
    assert.equal(classify("fapi").outcome, "failure");
    // Auth0 lists feta under token_exchange.success; its name says it failed.
    assert.equal(classify("feta").outcome, "failure");
    // Names shared by several codes take their action from the description.
    assert.equal(classify("seccft").action.startsWith("successful-exchange-of-access-token"), true);
  });

  it("leaves unknown codes without a category, as ECS has no 'other'", () => {
    assert.deepEqual(classify("zz_new"), {
      category: [],
      type: ["info"],
      action: "unknown-zz_new",
      outcome: "unknown",
    });
    assert.equal(classify(undefined).action, "unknown");
  });
});

describe("ECS document", () => {
  it("translates a realistic event field by field, keeping the event whole under auth0", () => {
    const event = realistic();
    // What is sent: `_id` is cleared in place (undefined), which JSON leaves out.
    const doc = JSON.parse(JSON.stringify(ecsDocument(event, OPTIONS)));
    const { _id, ...sent } = realistic();
    assert.deepEqual(doc, {
      "@timestamp": "2026-05-01T12:34:56.789Z",
      message: "Successful login",
      ecs: { version: ECS_VERSION },
      event: {
        kind: "event",
        category: ["authentication"],
        type: ["start"],
        action: "success-login",
        outcome: "success",
        id: LOG_ID,
        code: "s",
        dataset: "auth0.export",
        module: "auth0",
      },
      log: { level: "info" },
      source: {
        ip: "203.0.113.7",
        geo: {
          city_name: "Paris",
          continent_code: "EU",
          country_iso_code: "FR",
          country_name: "France",
          region_name: "Île-de-France",
          timezone: "Europe/Paris",
          location: { lat: 48.8566, lon: 2.3522 },
        },
      },
      client: { ip: "2001:db8::1" },
      network: { type: "ipv4" },
      user: { id: "auth0|64f1c2", name: "jane@example.com", email: "jane@example.com" },
      user_agent: { original: "Chrome 134.0.0 / Windows 10.0.0" },
      organization: { id: "org_9aZ", name: "acme" },
      related: { ip: ["203.0.113.7", "2001:db8::1"], user: ["auth0|64f1c2", "jane@example.com"] },
      data_stream: { type: "logs", dataset: "auth0.export", namespace: "default" },
      auth0: { logs: { data: sent } },
    });
    assert.equal(ECS_VERSION, "9.4.0");
    // The pipeline owns its events: `_id` is cleared in place (and left out of what is sent).
    assert.equal(event._id, undefined);
    assert.ok(!("_id" in (doc.auth0 as { logs: { data: object } }).logs.data));
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc, "plain JSON");
    assertNoEmpty(doc, "");
  });

  it("writes only fields that have a value, and falls back to log_id's time", () => {
    const doc = ecsDocument(
      {
        log_id: LOG_ID,
        date: "not a date",
        type: "zz_new",
        ip: "not-an-ip",
        client_ip: "",
        user_name: "jane",
        location_info: { latitude: "north", longitude: 2, country_code: "" },
      },
      OPTIONS,
    );
    assert.deepEqual(doc, {
      "@timestamp": "2026-05-01T12:34:57.000Z",
      ecs: { version: ECS_VERSION },
      event: {
        kind: "event",
        type: ["info"],
        action: "unknown-zz_new",
        outcome: "unknown",
        id: LOG_ID,
        code: "zz_new",
        dataset: "auth0.export",
        module: "auth0",
      },
      user: { name: "jane" },
      related: { user: ["jane"] },
      data_stream: { type: "logs", dataset: "auth0.export", namespace: "default" },
      auth0: {
        logs: {
          data: {
            log_id: LOG_ID,
            date: "not a date",
            type: "zz_new",
            ip: "not-an-ip",
            client_ip: "",
            user_name: "jane",
            location_info: { latitude: "north", longitude: 2, country_code: "" },
          },
        },
      },
    });
    const now = () => new Date("2026-06-01T00:00:00Z");
    const noTime = ecsDocument({ log_id: "x", ip: "::1" }, { ...OPTIONS, now });
    assert.equal(noTime["@timestamp"], "2026-06-01T00:00:00.000Z");
    assert.deepEqual(noTime.network, { type: "ipv6" });
    const far = ecsDocument(
      { log_id: LOG_ID, location_info: { latitude: 91, longitude: 0 } },
      OPTIONS,
    );
    assert.equal(far.source, undefined, "an impossible latitude is not a location");
  });

  it("shapes batches the same way", () => {
    const shape = makeEcsShaper(OPTIONS);
    const events = [realistic(), { ...realistic(), type: "f", log_id: `${LOG_ID.slice(0, -1)}2` }];
    assert.deepEqual(
      shape(events),
      events.map((e) => ecsDocument(e, OPTIONS)),
    );
  });
});

function assertNoEmpty(value: unknown, path: string): void {
  assert.notEqual(value, undefined, `${path} is undefined`);
  assert.notEqual(value, null, `${path} is null`);
  if (Array.isArray(value)) {
    assert.ok(value.length > 0, `${path} is an empty array`);
    for (const [i, v] of value.entries()) assertNoEmpty(v, `${path}[${i}]`);
  } else if (typeof value === "object") {
    assert.ok(!(value instanceof Date), `${path} is a Date`);
    for (const [k, v] of Object.entries(value as object)) assertNoEmpty(v, `${path}.${k}`);
  }
}

// --- Templates -----------------------------------------------------------------------------

type Node = Record<string, unknown> & { properties?: Record<string, Node>; type?: string };

const KNOWN_TYPES: Record<Product, Set<string>> = {
  elasticsearch: new Set([
    ...["keyword", "constant_keyword", "text", "match_only_text", "date", "ip", "geo_point"],
    ...["flattened", "object"],
  ]),
  opensearch: new Set(["keyword", "text", "date", "ip", "geo_point", "flat_object", "object"]),
};

const plans = function* () {
  for (const product of ["elasticsearch", "opensearch"] as const) {
    for (const format of ["ecs", "extension", "log-streams"] as const) {
      for (const dataStream of [true, false]) {
        for (const serverless of product === "opensearch" ? [false, true] : [false]) {
          for (const retentionDays of [30, null]) {
            const options: SetupOptions = {
              product,
              serverless,
              format,
              target: dataStream ? "logs-auth0.export-default" : "auth0-logs",
              dataStream,
              retentionDays,
              name: "auth0-logs-to-logstash",
            };
            yield { options, plan: setupPlan(options) };
          }
        }
      }
    }
  }
};

const mappingsOf = (plan: ReturnType<typeof setupPlan>): Node => {
  const found = plan.componentTemplates.find((t) => t.name.endsWith("-mappings"));
  assert.ok(found, "a mappings component template");
  return (found.body.template as { mappings: Node }).mappings;
};

function* fieldTypes(node: Node): Generator<string> {
  if (node.type !== undefined) yield node.type;
  for (const child of Object.values(node.properties ?? {})) yield* fieldTypes(child);
  for (const child of Object.values((node.fields ?? {}) as Record<string, Node>)) {
    yield* fieldTypes(child);
  }
}

describe("setup plan", () => {
  it("uses only field types the product knows, and names Elastic allows", () => {
    for (const { options, plan } of plans()) {
      const label = JSON.stringify(options);
      const types = [...fieldTypes(mappingsOf(plan))];
      for (const type of types)
        assert.ok(KNOWN_TYPES[options.product].has(type), `${type} ${label}`);
      assert.ok(types.length < 1000, "below the default field limit, even without our setting");
      const names = [plan.indexTemplate.name, ...plan.componentTemplates.map((t) => t.name)];
      if (plan.lifecycle) names.push(plan.lifecycle.name);
      for (const name of names) assert.ok(!name.includes("@"), name);
      const body = plan.indexTemplate.body;
      assert.equal(body.priority, TEMPLATE_PRIORITY);
      assert.equal(TEMPLATE_PRIORITY, 501);
      assert.deepEqual(
        body.composed_of,
        plan.componentTemplates.map((t) => t.name),
      );
      const meta = { managed_by: "auth0-logs-to-logstash", version: 1 };
      assert.deepEqual(body._meta, meta);
      for (const t of plan.componentTemplates) assert.deepEqual(t.body._meta, meta);
      assert.ok(!(body.index_patterns as string[]).includes("logs-*-*"), label);
      if (options.dataStream) {
        assert.deepEqual(body.index_patterns, ["logs-auth0.export-*"]);
        assert.deepEqual(body.data_stream, {});
      } else {
        assert.deepEqual(body.index_patterns, ["auth0-logs", "auth0-logs-*"]);
        assert.equal(body.data_stream, undefined);
      }
      assert.equal(mappingsOf(plan).dynamic, false, label);
    }
  });

  it("OpenSearch maps the unindexed original and the names of cut leaves; Elasticsearch neither", () => {
    // flat_object has no ignore_above: the sink cuts a leaf too long for one term and keeps the
    // event whole beside it (flat-object.ts). Elasticsearch's flattened skips such a leaf itself,
    // so its templates stay as they were (and installed ones are not replaced).
    const unindexed = { type: "keyword", index: false, doc_values: false };
    const keyword = { type: "keyword", ignore_above: 1024 };
    for (const { options, plan } of plans()) {
      const label = JSON.stringify(options);
      const top = mappingsOf(plan).properties ?? {};
      const ecs = options.format === "ecs";
      const original = ecs ? top.event?.properties?.original : top.event_original;
      const named = ecs
        ? top.auth0?.properties?.logs?.properties?.truncated_fields
        : top.truncated_fields;
      if (options.product === "opensearch") {
        assert.deepEqual(original, unindexed, label);
        assert.deepEqual(named, keyword, label);
      } else {
        assert.equal(original, undefined, label);
        assert.equal(named, undefined, label);
        assert.equal(top.event_original ?? top.event?.properties?.original, undefined, label);
      }
    }
  });

  it("installs ILM on Elasticsearch, ISM on OpenSearch, none on Serverless", () => {
    for (const { options, plan } of plans()) {
      const label = JSON.stringify(options);
      const settings = plan.componentTemplates.find((t) => t.name.endsWith("-settings"))?.body
        .template as { settings: Record<string, unknown> } | undefined;
      if (options.serverless) {
        assert.equal(plan.lifecycle, null, label);
        assert.equal(settings, undefined, label);
        continue;
      }
      assert.equal(settings?.settings["index.mapping.total_fields.limit"], 2000);
      if (!options.dataStream && options.retentionDays === null) {
        assert.equal(plan.lifecycle, null, "a plain index kept forever has nothing to do");
        continue;
      }
      const lifecycle = plan.lifecycle;
      assert.ok(lifecycle, label);
      const text = JSON.stringify(lifecycle.body);
      assert.equal(text.includes('"delete":{}'), options.retentionDays !== null, label);
      assert.equal(text.includes("rollover"), options.dataStream, label);
      if (options.product === "elasticsearch") {
        assert.equal(lifecycle.kind, "ilm");
        assert.equal(settings?.settings["index.lifecycle.name"], lifecycle.name);
        const policy = lifecycle.body.policy as { phases: Record<string, unknown> };
        if (options.retentionDays !== null) {
          assert.deepEqual(policy.phases.delete, { min_age: "30d", actions: { delete: {} } });
        }
        if (options.dataStream) {
          assert.deepEqual(policy.phases.hot, {
            actions: { rollover: { max_primary_shard_size: "50gb", max_age: "30d" } },
          });
        }
      } else {
        assert.equal(lifecycle.kind, "ism");
        assert.equal(settings?.settings["index.lifecycle.name"], undefined);
        const policy = lifecycle.body.policy as {
          default_state: string;
          states: { name: string }[];
          ism_template: { index_patterns: string[]; priority: number }[];
        };
        assert.equal(policy.default_state, "hot");
        assert.deepEqual(
          policy.states.map((s) => s.name),
          options.retentionDays === null ? ["hot"] : ["hot", "delete"],
        );
        assert.deepEqual(policy.ism_template, [
          {
            // OpenSearch matches a backing index by its data stream's name, not by ".ds-…".
            index_patterns: options.dataStream
              ? ["logs-auth0.export-*"]
              : ["auth0-logs", "auth0-logs-*"],
            priority: 100,
          },
        ]);
      }
    }
  });

  it("refuses a data stream name that is not logs-<dataset>-<namespace>, and @ in names", () => {
    const options: SetupOptions = {
      product: "elasticsearch",
      serverless: false,
      format: "ecs",
      target: "auth0-logs",
      dataStream: true,
      retentionDays: null,
      name: "auth0-logs-to-logstash",
    };
    assert.throws(() => setupPlan(options), /not a data stream name/);
    assert.throws(
      () => setupPlan({ ...options, target: "logs-auth0.export-default", name: "auth0@custom" }),
      /template name/,
    );
  });
});

// --- No event refused for its shape ----------------------------------------------------------

/** Why Elasticsearch/OpenSearch would refuse `value` under `node`, or nothing. */
function refusals(value: unknown, node: Node, path: string, dynamic: unknown, out: string[]) {
  if (value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) refusals(v, node, path, dynamic, out);
    return;
  }
  const type = node.type ?? "object";
  const malformedOk = node.ignore_malformed === true;
  switch (type) {
    case "object": {
      if (typeof value !== "object") return void out.push(`${path}: ${typeof value} for object`);
      const inner = node.dynamic ?? dynamic;
      for (const [key, v] of Object.entries(value as object)) {
        const child = node.properties?.[key];
        const at = path ? `${path}.${key}` : key;
        if (child) refusals(v, child, at, inner, out);
        else if (inner !== false) out.push(`${at}: would be mapped dynamically`);
      }
      return;
    }
    case "flattened":
    case "flat_object":
      if (typeof value !== "object") out.push(`${path}: ${typeof value} for ${type}`);
      else if (depth(value) > ((node.depth_limit as number | undefined) ?? 20)) {
        out.push(`${path}: deeper than depth_limit`);
      }
      return;
    case "keyword":
    case "constant_keyword":
    case "text":
    case "match_only_text":
      if (typeof value === "object") out.push(`${path}: object for ${type}`);
      return;
    case "date":
      if (typeof value === "object") out.push(`${path}: object for date`);
      else if (!malformedOk && !Number.isFinite(Date.parse(String(value)))) {
        out.push(`${path}: ${String(value)} is not a date`);
      }
      return;
    case "ip":
      if (typeof value === "object") out.push(`${path}: object for ip`);
      else if (!malformedOk && isIP(String(value)) === 0) out.push(`${path}: ${value} not an ip`);
      return;
    case "geo_point": {
      const p = value as { lat?: unknown; lon?: unknown };
      const ok =
        typeof p === "object" &&
        typeof p.lat === "number" &&
        typeof p.lon === "number" &&
        Math.abs(p.lat) <= 90 &&
        Math.abs(p.lon) <= 180;
      if (!ok && !malformedOk) out.push(`${path}: not a geo_point`);
      return;
    }
    default:
      out.push(`${path}: unknown type ${type}`);
  }
}

const depth = (value: unknown): number =>
  typeof value === "object" && value !== null
    ? 1 + Math.max(0, ...Object.values(value).map(depth)) - (Array.isArray(value) ? 1 : 0)
    : 0;

// The two other formats as the sinks write them: the event with the original extension's fields
// (a string user_agent may be moved to auth0_user_agent for Logstash), or Log Streams' wrapper.
const TIME = "2026-05-01T00:00:00Z";
const EXTENSION_FIELDS = {
  type_description: "Success Login",
  index: "auth0",
  post_date: TIME,
  "@timestamp": TIME,
  auth0_user_agent: "Chrome 134.0.0 / Windows 10.0.0",
};
const withoutId = ({ _id, ...rest }: LogEvent) => rest;

describe("mappings", () => {
  it("the checker itself flags dynamic mapping and type conflicts", () => {
    const out: string[] = [];
    const node: Node = { properties: { a: { type: "keyword" }, f: { type: "flattened" } } };
    refusals({ a: { b: 1 }, f: "text", c: 1 }, node, "", true, out);
    assert.equal(out.length, 3, out.join("\n"));
  });

  it("take a few hundred random variations of an event in every product and format", () => {
    const events = variations(300);
    const documents: Record<TemplateFormat, (e: LogEvent) => Record<string, unknown>> = {
      ecs: (e) => ecsDocument(e, OPTIONS),
      extension: (e) => ({ ...withoutId(e), ...EXTENSION_FIELDS }),
      "log-streams": (e) => ({ log_id: e.log_id, data: withoutId(e), "@timestamp": TIME }),
    };
    for (const { options, plan } of plans()) {
      const mappings = mappingsOf(plan);
      for (const event of events) {
        const doc = JSON.parse(JSON.stringify(documents[options.format](structuredClone(event))));
        assert.ok(!("_id" in doc), "Elasticsearch refuses _id in a document");
        const out: string[] = [];
        refusals(doc, mappings, "", true, out);
        assert.deepEqual(out, [], `${JSON.stringify(options)}\n${JSON.stringify(event)}`);
      }
    }
  });
});

describe("docs/ecs.md", () => {
  it("holds the classification table exactly as ecsTable() generates it", () => {
    const doc = readFileSync(new URL("../docs/ecs.md", import.meta.url), "utf8");
    assert.ok(
      doc.includes(ecsTable()),
      "docs/ecs.md lacks the current table (run: node src/pipeline/ecs-types.ts)",
    );
  });
});
