// Settings for an exporter pointed at a simulated tenant and Logstash.

import { join } from "node:path";

import { logstashSink, exporterEnv as simulatedEnv } from "../../simulator/exporter-env.ts";
import { SIMULATED_CLIENT } from "../../simulator/tenant.ts";

export const CLIENT_ID = SIMULATED_CLIENT.id;
export const CLIENT_SECRET = SIMULATED_CLIENT.secret;

export function exporterEnv(
  tenant: { url: string },
  logstash: { url: string },
  dir: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return simulatedEnv(
    {
      tenant: tenant.url,
      sink: logstashSink(logstash.url, "auth0-test"),
      databaseUrl: `sqlite:${join(dir, "state.sqlite")}`,
      lookback: "30d",
      retention: "31d",
    },
    { RETRY_MAX_TIME: "20s", REQUEST_TIMEOUT: "2s", EXPORTER_LOG_LEVEL: "info", ...overrides },
  );
}
