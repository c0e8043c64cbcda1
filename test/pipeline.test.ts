// Filtering and shaping, as the original extension did them and as Elasticsearch needs them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LogEvent } from "../src/interfaces.ts";
import { makeFilter } from "../src/pipeline/filter.ts";
import {
  deriveLevel,
  describeType,
  levelOf,
  logTypes,
  parseLevel,
} from "../src/pipeline/log-types.ts";
import { makeShaper } from "../src/pipeline/shape.ts";
import { encodeBatch } from "../src/sinks/logstash/encoder.ts";

const event = (type: string, extra: Partial<LogEvent> = {}): LogEvent => ({
  _id: "9".repeat(56),
  log_id: "9".repeat(56),
  type,
  ...extra,
});

describe("log types", () => {
  it("knows all 185 codes, each with a level from 0 to 4", () => {
    assert.equal(logTypes.size, 185);
    for (const info of logTypes.values()) assert.ok(info.level >= 0 && info.level <= 4, info.code);
  });

  it("keeps the original extension's levels", () => {
    assert.equal(levelOf("s"), 1);
    assert.equal(levelOf("f"), 3);
    assert.equal(levelOf("api_limit"), 4);
    assert.equal(logTypes.get("s")?.levelSource, "legacy");
  });

  it("derives a level for newer codes from their category, then their name", () => {
    assert.equal(deriveLevel("x", "X", "auth.token_exchange.fail"), 3);
    assert.equal(deriveLevel("x", "X", "user.success"), 1);
    assert.equal(deriveLevel("x", "X", "auth.login.notification"), 2);
    assert.equal(deriveLevel("flows_execution_failed", "Flow execution failed", "other"), 3);
    assert.equal(deriveLevel("api_limit_warning", "Rate Limit Warning", "system.notification"), 2);
    assert.equal(deriveLevel("pla", "Pre-login assessment", "other"), 1);
    assert.equal(logTypes.get("ciba_exchange_failed")?.levelSource, "derived");
  });

  it("leaves unknown codes without a level and describes them as unknown", () => {
    assert.equal(levelOf("brand_new_code"), undefined);
    assert.equal(describeType("brand_new_code"), "Unknown event type (brand_new_code)");
    assert.equal(describeType("s"), "Success Login");
  });

  it("parses levels as numbers or names", () => {
    assert.equal(parseLevel("0"), 0);
    assert.equal(parseLevel("CRITICAL"), 4);
    assert.equal(parseLevel("warn"), 2);
    assert.equal(parseLevel("5"), undefined);
  });
});

describe("filter (the original's rules)", () => {
  const cases: [string, { logTypes?: string[]; logLevel?: number }, string, boolean][] = [
    ["neither set: everything passes", {}, "s", true],
    ["neither set: unknown codes pass", {}, "zzz", true],
    ["LOG_TYPES only: listed type passes", { logTypes: ["s"] }, "s", true],
    ["LOG_TYPES only: other type is filtered", { logTypes: ["s"] }, "f", false],
    ["LOG_TYPES only: unknown type is filtered", { logTypes: ["s"] }, "zzz", false],
    ["LOG_LEVEL only: level above passes", { logLevel: 2 }, "f", true],
    ["LOG_LEVEL only: level below is filtered", { logLevel: 2 }, "s", false],
    ["LOG_LEVEL only: unknown code passes (cannot be ranked)", { logLevel: 4 }, "zzz", true],
    ["both: listed type of low level passes", { logTypes: ["s"], logLevel: 3 }, "s", true],
    ["both: unlisted type of high level passes", { logTypes: ["s"], logLevel: 3 }, "f", true],
    [
      "both: unlisted type of low level is filtered",
      { logTypes: ["s"], logLevel: 3 },
      "slo",
      false,
    ],
  ];
  for (const [name, options, type, expected] of cases) {
    it(name, () => assert.equal(makeFilter(options)(event(type)), expected));
  }
});

describe("shape", () => {
  const now = () => new Date("2026-11-24T10:00:00.000Z");

  const ecs = { dataset: "auth0.export", namespace: "default" };

  it("extension format: the event plus type_description, without _id", () => {
    const input = event("s", { date: "2026-11-24T09:00:00.000Z", user_agent: "Chrome 134.0.0" });
    const [doc] = makeShaper({ format: "extension", keepId: false, ecs })([input]);
    // Removed fields are undefined (left out by JSON.stringify), so compare what is sent.
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), {
      log_id: "9".repeat(56),
      type: "s",
      date: "2026-11-24T09:00:00.000Z",
      user_agent: "Chrome 134.0.0",
      type_description: "Success Login",
    });
  });

  it("Logstash's encoder adds the original's index and post_date, and renames a string user_agent", () => {
    const input = event("s", { user_agent: "Chrome 134.0.0 / Windows 10.0.0" });
    const [doc] = makeShaper({ format: "extension", keepId: false, ecs })([input]);
    const body = encodeBatch(
      [doc as Record<string, unknown>],
      { format: "extension", index: "auth0" },
      now,
    );
    assert.deepEqual(JSON.parse(body), [
      {
        log_id: "9".repeat(56),
        type: "s",
        auth0_user_agent: "Chrome 134.0.0 / Windows 10.0.0",
        type_description: "Success Login",
        index: "auth0",
        post_date: "2026-11-24T10:00:00.000Z",
      },
    ]);
    const other = encodeBatch([{ log_id: "1" }], { format: "log-streams", index: "auth0" }, now);
    assert.deepEqual(JSON.parse(other), [{ log_id: "1" }], "only the extension format gets them");
  });

  it("keeps _id when asked", () => {
    const [doc] = makeShaper({ format: "extension", keepId: true, ecs })([event("s")]);
    assert.equal(doc?._id, "9".repeat(56));
  });

  it("Logstash's encoder leaves a user_agent that is already an object alone", () => {
    const [doc] = makeShaper({ format: "extension", keepId: false, ecs })([
      event("s", { user_agent: { original: "x" } }),
    ]);
    const body = encodeBatch([doc as Record<string, unknown>], { format: "extension", index: "i" });
    assert.deepEqual(JSON.parse(body)[0].user_agent, { original: "x" });
  });

  it("log-streams format: {log_id, data} as Auth0 Log Streams send", () => {
    const [doc] = makeShaper({ format: "log-streams", keepId: false, ecs })([
      event("f", { ip: "1.2.3.4" }),
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), {
      log_id: "9".repeat(56),
      data: { log_id: "9".repeat(56), type: "f", ip: "1.2.3.4" },
    });
  });

  it("passes unusual Unicode and unknown fields through untouched", () => {
    const odd = event("zzz", {
      description: "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u0000 \u202e",
      details: { prompts: [{ identity: 42 }] },
    });
    const [doc] = makeShaper({ format: "extension", keepId: false, ecs })([odd]);
    assert.equal(doc?.description, odd.description);
    assert.deepEqual(doc?.details, odd.details);
    assert.equal(JSON.parse(JSON.stringify(doc)).description, odd.description);
  });
});
