// What every scenario shares: the world (the tenant simulator and the Logstash fake, in this
// process), the exporter's environment, and the measured runs of the exporter and of the floor.

import { request } from "undici";
import {
  clusterSink,
  exporterEnv as simulatedEnv,
  logstashSink as simulatedSink,
} from "../simulator/exporter-env.ts";
import { startLogstash } from "../simulator/logstash.ts";
import type { SearchFake } from "../simulator/search/index.ts";
import { type RateLimit, SIMULATED_CLIENT, startTenant } from "../simulator/tenant.ts";
import { checkpointAt } from "../src/auth0/checkpoint.ts";
import { type Measured, measure, tempDir } from "./measure.ts";

export interface ScenarioOptions {
  quick: boolean;
  /** Runs per figure (medians are reported). */
  repeat: number;
  log: (text: string) => void;
}

/** The sink part of the exporter's environment: the Logstash fake's. */
export const logstashSink = (url: string): Record<string, string> => simulatedSink(url, "bench");

/** The sink part of the exporter's environment: a fake cluster's (ECS into a data stream). */
export const elasticsearchSink = clusterSink;

export function exporterEnv(
  tenantUrl: string,
  sink: Record<string, string>,
  extra: Record<string, string> = {},
) {
  return simulatedEnv(
    {
      tenant: tenantUrl,
      sink,
      databaseUrl: `sqlite:${tempDir()}/state.sqlite`,
      lookback: "7d",
      retention: "30d",
    },
    { EXPORTER_LOG_LEVEL: "warn", ...extra },
  );
}

export async function world(
  backlog: number,
  rateLimit: RateLimit | null = null,
  delayMs = 0,
  tenantLatencyMs = 0,
) {
  const tenant = await startTenant({
    backlog,
    backlogSpanMs: 6 * 3_600_000,
    rateLimit,
    recordOwnEvents: false,
    latencyMs: tenantLatencyMs,
  });
  const logstash = await startLogstash({ keepEvents: false, delayMs });
  return {
    tenant,
    logstash,
    close: async () => {
      await tenant.close();
      await logstash.close();
    },
  };
}

export type World = Awaited<ReturnType<typeof world>>;

/** `once` into the Logstash fake; throws unless every event arrived. */
export async function exporterOnce(
  w: World,
  extra: Record<string, string> = {},
): Promise<Measured> {
  const run = await measure(
    "bin",
    ["once"],
    exporterEnv(w.tenant.url, logstashSink(w.logstash.url), extra),
  );
  if (run.code !== 0) throw new Error(`exporter failed: ${run.stderr.slice(-500)}`);
  if (w.logstash.idCounts().size !== w.tenant.log.size) throw new Error("exporter lost events");
  return run;
}

/** `once` into a fake cluster; throws unless every event of the tenant was indexed exactly once. */
export async function exporterIntoSearchOnce(
  w: World,
  search: SearchFake,
  extra: Record<string, string> = {},
): Promise<Measured> {
  const run = await measure(
    "bin",
    ["once"],
    exporterEnv(w.tenant.url, elasticsearchSink(search.url), extra),
  );
  if (run.code !== 0) throw new Error(`exporter (Elasticsearch) failed: ${run.stderr.slice(-500)}`);
  const counts = search.idCounts();
  if (counts.size !== w.tenant.log.size)
    throw new Error(
      `exporter (Elasticsearch) indexed ${counts.size} ids of ${w.tenant.log.size} events`,
    );
  for (const id of w.tenant.eventIds()) {
    const count = counts.get(id);
    if (count !== 1) throw new Error(`exporter (Elasticsearch) indexed ${id} ${count ?? 0} times`);
  }
  return run;
}

/** bench/floor.ts over the world's backlog, into the Logstash fake. */
export async function floorOnce(w: World): Promise<Measured> {
  return floorInto(w, "bench/floor.ts", w.logstash.url);
}

/** bench/floor-bulk.ts over the world's backlog, into a cluster (into `index` when given). */
export async function bulkFloorOnce(
  w: World,
  search: SearchFake | { url: string },
  index?: string,
): Promise<Measured> {
  return floorInto(w, "bench/floor-bulk.ts", search.url, index ? { A2L_FLOOR_INDEX: index } : {});
}

async function floorInto(
  w: World,
  script: string,
  sinkUrl: string,
  env: Record<string, string> = {},
): Promise<Measured> {
  const answer = await request(`${w.tenant.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: SIMULATED_CLIENT.id,
      client_secret: SIMULATED_CLIENT.secret,
      audience: `${w.tenant.url}/api/v2/`,
    }),
  });
  const { access_token: token } = (await answer.body.json()) as { access_token: string };
  const from = checkpointAt(new Date(Date.now() - 7 * 86_400_000));
  const run = await measure(script, [w.tenant.url, sinkUrl, from, token], env);
  if (run.code !== 0) throw new Error(`floor failed: ${run.stderr.slice(-500)}`);
  return run;
}

export const perSecond = (events: number, ms: number) => Math.round((events / ms) * 1000);
