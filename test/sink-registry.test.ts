// A sink joins the program through the registry alone (src/sinks/index.ts): a toy sink, a
// folder-like module (test/toy-sink/), is listed, and the settings table, the exactly-one-sink
// rule, the secrets, the tenants' overlaps, the factory and `check`'s label all know it without a
// line of theirs naming it; then it keeps the sink contract every built-in sink keeps.

import "./toy-sink/index.ts";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadConfig, loadDeployment } from "../src/config/load.ts";
import { settingsByName } from "../src/config/settings.ts";
import { ConfigError } from "../src/errors.ts";
import { describeSink, openSink, sinkModule } from "../src/sinks/index.ts";
import { createLogger } from "../src/util/logger.ts";
import { mask } from "../src/util/secrets.ts";
import { tempDir } from "./helpers/cli.ts";
import { sinkContract } from "./helpers/sink-contract.ts";
import { places } from "./toy-sink/index.ts";

const auth0 = {
  AUTH0_DOMAIN: "http://127.0.0.1:1",
  AUTH0_CLIENT_ID: "c",
  AUTH0_CLIENT_SECRET: "registry-secret",
};
const logger = createLogger({ level: "silent", human: false });

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...auth0, ...env }, { cwd: tempDir() });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("the settings were accepted");
}

describe("a sink added through the registry alone", () => {
  it("has its rows in the settings table, and its setting chooses it", () => {
    assert.equal(settingsByName.get("TOY_PLACE")?.group, "Toy");
    const config = loadConfig(
      { ...auth0, TOY_PLACE: "box", TOY_TOKEN: "toy-token-1" },
      {
        cwd: tempDir(),
      },
    );
    assert.deepEqual(config.sink, { kind: "toy", place: "box", token: "toy-token-1" });
    assert.equal(config.documentFormat, "log-streams", "its default format");
    assert.equal(describeSink(config.sink), "Toy box");
    assert.equal(sinkModule(config.sink).label, "Toy", "check names its step so");
  });

  it("registers its secret forms: they are masked wherever they would be shown", () => {
    loadConfig({ ...auth0, TOY_PLACE: "box", TOY_TOKEN: "toy-token-2" }, { cwd: tempDir() });
    assert.doesNotMatch(mask("sent toy:toy-token-2"), /toy-token-2/);
  });

  it("joins the exactly-one-sink rule and its messages", () => {
    const none = problemsOf({});
    assert.ok(
      none.some((p) => p.includes("or TOY_PLACE selects the Toy sink")),
      none.join("\n"),
    );
    const two = problemsOf({ TOY_PLACE: "box", LOGSTASH_URL: "https://logstash.example.com" });
    assert.ok(
      two.some((p) =>
        p.startsWith(
          "LOGSTASH_URL: set together with TOY_PLACE; choose one sink: Logstash's http input, or the toy sink",
        ),
      ),
      two.join("\n"),
    );
  });

  it("says when two tenants write to the same place, naming its setting", () => {
    const dir = tempDir();
    const file = `${dir}/tenants.yaml`;
    const yaml = "TOY_PLACE: shared\ntenants:\n  a: {}\n  b: {}\n";
    writeFileSync(file, yaml);
    const deployment = loadDeployment({ ...auth0, CONFIG_FILE: file }, { cwd: dir });
    assert.ok(
      deployment.process.warnings.some(
        (w) =>
          w.includes("tenants a, b write to the same place (Toy shared)") &&
          w.includes("TOY_PLACE"),
      ),
      deployment.process.warnings.join("\n"),
    );
  });
});

sinkContract("Toy", async (t) => {
  const place = `contract-${Math.random().toString(36).slice(2)}`;
  const config = loadConfig({ ...auth0, TOY_PLACE: place }, { cwd: tempDir() });
  const sink = await openSink(config, { logger });
  t.after(() => sink.close());
  return {
    sink,
    received: () => places.get(place)?.ids ?? new Map(),
    failNext: (count) => {
      const state = places.get(place) ?? { ids: new Map(), failures: 0 };
      state.failures = count;
      places.set(place, state);
    },
  };
});
