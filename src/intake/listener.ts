// The intake's own listener, apart from the dashboard's (which stays private): the host-name guard
// first, as on every listener (web/server.ts), then only the intake's routes. Over https itself
// when INTAKE_TLS_CERT and INTAKE_TLS_KEY are set; otherwise plain http behind a proxy or Ingress.

import { readFileSync } from "node:fs";
import type { ServerType } from "@hono/node-server";
import type { Logger } from "pino";
import type { ProcessSettings } from "../config/types.ts";
import { ConfigError, describe, ExporterError } from "../errors.ts";
import { listen, listenerApp } from "../web/server.ts";
import type { Intake } from "./intake.ts";
import { intakeRoutes } from "./routes.ts";

/** The PEM files named by the settings, read now: a wrong path is a settings error (exit 2). */
export function readTls(
  tls: ProcessSettings["intake"]["tls"],
): { cert: Buffer; key: Buffer } | undefined {
  if (!tls) return undefined;
  const read = (path: string, setting: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError([`${setting}: cannot read ${path}: ${describe(error)}`]);
    }
  };
  return {
    cert: read(tls.certFile, "INTAKE_TLS_CERT"),
    key: read(tls.keyFile, "INTAKE_TLS_KEY"),
  };
}

export async function openIntakeListener(
  intake: Intake,
  settings: Pick<ProcessSettings, "intake" | "http">,
  logger: Logger,
): Promise<{ server: ServerType; url: string }> {
  const tls = readTls(settings.intake.tls);
  const app = listenerApp(
    { listen: settings.intake.host, names: settings.http.allowedHosts ?? [] },
    logger,
  );
  app.route("/", intakeRoutes(intake, logger));
  try {
    return await listen(app, settings.intake.host, settings.intake.port, tls);
  } catch (error) {
    // Not a settings error (exit 1, as for HTTP_PORT): the port may be free at the next start.
    throw new ExporterError(
      `cannot listen on ${settings.intake.host}:${settings.intake.port} (INTAKE_HOST, INTAKE_PORT): ${describe(error)}`,
      { retryable: false, cause: error },
    );
  }
}
