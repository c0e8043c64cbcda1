// Settings for an exporter pointed at a simulated tenant and Logstash.

import { join } from "node:path";

import { SIMULATED_CLIENT } from "../../src/simulator/tenant.ts";

export const CLIENT_ID = SIMULATED_CLIENT.id;
export const CLIENT_SECRET = SIMULATED_CLIENT.secret;

export function exporterEnv(
  tenant: { url: string },
  logstash: { url: string },
  dir: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AUTH0_DOMAIN: tenant.url,
    AUTH0_CLIENT_ID: CLIENT_ID,
    AUTH0_CLIENT_SECRET: CLIENT_SECRET,
    LOGSTASH_URL: logstash.url,
    LOGSTASH_INDEX: "auth0-test",
    DATABASE_URL: `sqlite:${join(dir, "state.sqlite")}`,
    INITIAL_LOOKBACK: "30d",
    AUTH0_LOG_RETENTION: "31d",
    RETRY_MAX_TIME: "20s",
    REQUEST_TIMEOUT: "2s",
    EXPORTER_LOG_LEVEL: "info",
    ...overrides,
  };
}
