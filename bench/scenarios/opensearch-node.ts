// The Elasticsearch sink into a real OpenSearch node (scripts/search-node, started here unless
// A2L_TEST_OPENSEARCH_URL names one) against the floor into the same node (bench/floor-bulk.ts:
// each event a `create` action, unshaped, uncompressed): events/s and the exporter's CPU per
// 1 000 events, in both document formats (ECS, and the event as it came), with and without gzip.
// Each run writes into names of its own; the node's own work is on the same two cores, so these
// figures say what the sink costs beside a real cluster, not what a cluster of its own would take.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { measure, median } from "../measure.ts";
import {
  bulkFloorOnce,
  elasticsearchSink,
  exporterEnv,
  perSecond,
  type ScenarioOptions,
  world,
} from "../world.ts";

export const name = "opensearch-node";

const SCRIPT = fileURLToPath(new URL("../../scripts/search-node", import.meta.url));

function nodeUrl(): Promise<string> {
  const given = process.env.A2L_TEST_OPENSEARCH_URL;
  if (given) return Promise.resolve(given.replace(/\/$/, ""));
  return new Promise((resolve, reject) => {
    execFile(SCRIPT, ["start"], { timeout: 900_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scripts/search-node start failed:\n${stderr}`));
      else resolve(stdout.trim().split("\n").at(-1) as string);
    });
  });
}

async function count(url: string, target: string): Promise<number> {
  await request(`${url}/${target}/_refresh`, { method: "POST" }).then((r) => r.body.dump());
  const answer = await request(`${url}/${target}/_count`);
  return ((await answer.body.json()) as { count?: number }).count ?? 0;
}

const VARIANTS = [
  { key: "ecsGzip", DOCUMENT_FORMAT: "ecs", ELASTICSEARCH_GZIP: "true" },
  { key: "ecs", DOCUMENT_FORMAT: "ecs", ELASTICSEARCH_GZIP: "false" },
  { key: "extensionGzip", DOCUMENT_FORMAT: "extension", ELASTICSEARCH_GZIP: "true" },
  { key: "extension", DOCUMENT_FORMAT: "extension", ELASTICSEARCH_GZIP: "false" },
] as const;

export async function run({ quick, repeat, log }: ScenarioOptions): Promise<unknown> {
  const events = quick ? 5_000 : 50_000;
  const url = await nodeUrl();
  const rows: Record<string, number>[] = [];
  for (let i = 0; i < repeat; i++) {
    const w = await world(events);
    try {
      const run = randomBytes(4).toString("hex");
      const floorIndex = `auth0-floor-${run}`;
      const floor = await bulkFloorOnce(w, { url }, floorIndex);
      if ((await count(url, floorIndex)) !== events) throw new Error("the floor lost events");
      const row: Record<string, number> = {
        floor: perSecond(events, floor.wallMs),
        floorCpuPer1000: (floor.cpuMs / events) * 1000,
      };
      for (const variant of VARIANTS) {
        const { key, ...settings } = variant;
        const target = `logs-bench.${key.toLowerCase()}.${run}-default`;
        const measured = await measure(
          "bin",
          ["once"],
          exporterEnv(w.tenant.url, elasticsearchSink(url), {
            ...settings,
            ELASTICSEARCH_INDEX: target,
          }),
        );
        if (measured.code !== 0) throw new Error(`exporter failed: ${measured.stderr.slice(-500)}`);
        const indexed = await count(url, target);
        if (indexed !== events) throw new Error(`exporter indexed ${indexed} of ${events} events`);
        row[key] = perSecond(events, measured.wallMs);
        row[`${key}Ratio`] = floor.wallMs / measured.wallMs;
        row[`${key}CpuPer1000`] = (measured.cpuMs / events) * 1000;
      }
      rows.push(row);
      log(
        `opensearch-node ${i + 1}/${repeat}: floor ${row.floor}/s; sink ECS+gzip ${row.ecsGzip}/s, ECS ${row.ecs}/s, extension+gzip ${row.extensionGzip}/s, extension ${row.extension}/s`,
      );
    } finally {
      await w.close();
    }
  }
  const med = (key: string) => median(rows.map((r) => r[key] as number));
  const figures: Record<string, unknown> = {
    events,
    floorEventsPerSecond: med("floor"),
    floorCpuMsPer1000: med("floorCpuPer1000"),
  };
  for (const { key } of VARIANTS) {
    figures[`${key}EventsPerSecond`] = med(key);
    figures[`${key}Ratio`] = med(`${key}Ratio`);
    figures[`${key}CpuMsPer1000`] = med(`${key}CpuPer1000`);
  }
  return { ...figures, runs: rows };
}
