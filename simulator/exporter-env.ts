// The settings that point an exporter at the simulated tenant and a fake sink: the one builder the
// tests, the benchmarks and the demo share, so that each says only what it does differently.

import { SIMULATED_CLIENT } from "./tenant.ts";

/** The sink part: the Logstash fake's URL and an index. */
export const logstashSink = (url: string, index: string): Record<string, string> => ({
  LOGSTASH_URL: url,
  LOGSTASH_INDEX: index,
});

/** The sink part: a cluster (the fake, or a real node) by its URL. */
export const clusterSink = (url: string): Record<string, string> => ({ ELASTICSEARCH_URL: url });

export interface ExporterWorld {
  /** The simulated tenant's URL (AUTH0_DOMAIN). */
  tenant: string;
  /** The sink's settings (logstashSink, clusterSink). */
  sink: Record<string, string>;
  /** Where the exporter keeps its state. */
  databaseUrl: string;
  /** How far back the first execution starts (INITIAL_LOOKBACK): the simulator's backlog. */
  lookback: string;
  /** AUTH0_LOG_RETENTION: above the lookback, so that no run warns of retention. */
  retention: string;
}

export function exporterEnv(
  world: ExporterWorld,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AUTH0_DOMAIN: world.tenant,
    AUTH0_CLIENT_ID: SIMULATED_CLIENT.id,
    AUTH0_CLIENT_SECRET: SIMULATED_CLIENT.secret,
    ...world.sink,
    DATABASE_URL: world.databaseUrl,
    INITIAL_LOOKBACK: world.lookback,
    AUTH0_LOG_RETENTION: world.retention,
    ...extra,
  };
}
