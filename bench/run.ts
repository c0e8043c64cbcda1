// npm run bench: the exporter against the floor, unthrottled drains, drains under each published
// Auth0 rate-limit plan, tail latency, a slow Logstash, the Elasticsearch sink against the floor
// and the Logstash sink, the same into a real OpenSearch node (scripts/search-node), many tenants
// in one process, checkpoint commits on each store, and the installed package's footprint (size,
// cold start, idle and draining RSS). Each scenario is a file of bench/scenarios/; this one reads
// the flags, runs the scenarios asked for, and writes bench/results.json and the results table of
// BENCHMARKS.md. `--quick` runs smaller sizes once (a smoke test of the bench) and writes
// bench/results.quick.json only; `--only a,b` runs the named scenarios.

import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import * as drain from "./scenarios/drain.ts";
import * as elasticsearch from "./scenarios/elasticsearch.ts";
import * as floor from "./scenarios/floor.ts";
import * as footprint from "./scenarios/footprint.ts";
import * as opensearchNode from "./scenarios/opensearch-node.ts";
import * as ratelimit from "./scenarios/ratelimit.ts";
import * as slow from "./scenarios/slow.ts";
import * as store from "./scenarios/store.ts";
import * as stream from "./scenarios/stream.ts";
import * as tail from "./scenarios/tail.ts";
import * as tenants from "./scenarios/tenants.ts";
import * as verify from "./scenarios/verify.ts";
import type { ScenarioOptions } from "./world.ts";

interface Scenario {
  name: string;
  /** Its key in the results, when not its name. */
  key?: string;
  run: (options: ScenarioOptions) => Promise<unknown>;
}

const scenarios: Scenario[] = [
  floor,
  drain,
  ratelimit,
  tail,
  stream,
  slow,
  elasticsearch,
  opensearchNode,
  tenants,
  store,
  verify,
  footprint,
];

const { values: flags } = parseArgs({
  options: { quick: { type: "boolean" }, only: { type: "string" } },
});
const quick = Boolean(flags.quick);
const only = flags.only?.split(",");
const unknown = only?.filter((name) => !scenarios.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `--only: no scenario ${unknown.join(", ")} (scenarios: ${scenarios.map((s) => s.name).join(", ")})`,
  );
}
const options: ScenarioOptions = {
  quick,
  repeat: quick ? 1 : 3,
  log: (text: string) => process.stderr.write(`${text}\n`),
};

const results: Record<string, unknown> = {};
for (const scenario of scenarios) {
  if (only && !only.includes(scenario.name)) continue;
  results[scenario.key ?? scenario.name] = await scenario.run(options);
}

const args = [...(quick ? ["--quick"] : []), ...(flags.only ? ["--only", flags.only] : [])];
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  command: args.length > 0 ? `npm run bench -- ${args.join(" ")}` : "npm run bench",
};
const resultsPath = new URL(quick ? "./results.quick.json" : "./results.json", import.meta.url);
// With --only, the other scenarios keep the figures of their last run, and the machine, date and
// command they were measured with (results of before this was kept: the file's one machine).
let previous: { results?: Record<string, unknown>; measured?: Record<string, unknown> } = {};
if (flags.only && !quick) {
  try {
    const file = JSON.parse(readFileSync(resultsPath, "utf8"));
    previous = {
      results: file.results,
      measured:
        file.measured ??
        Object.fromEntries(Object.keys(file.results ?? {}).map((key) => [key, file.machine])),
    };
  } catch {}
}
const output = {
  machine,
  measured: {
    ...previous.measured,
    ...Object.fromEntries(Object.keys(results).map((key) => [key, machine])),
  },
  results: { ...previous.results, ...results },
};
writeFileSync(resultsPath, `${JSON.stringify(output, null, 2)}\n`);
if (!quick) {
  const { renderBenchmarks } = await import("./report.ts");
  const path = new URL("../BENCHMARKS.md", import.meta.url);
  const current = readFileSync(path, "utf8");
  writeFileSync(path, renderBenchmarks(current, output));
}
options.log(JSON.stringify(output, null, 2));
