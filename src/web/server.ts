// The service's HTTP listener: health, readiness and Prometheus metrics (the dashboard mounts here).
// The metrics are the observer's (metrics/prometheus.ts); the listener only serves their text.

import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import type { HostRules } from "../util/hosts.ts";
import type { DashboardDeps } from "./context.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { hostGuard } from "./host-guard.ts";
import { bodyLimits } from "./limits.ts";

/** What /metrics serves: a registry's text exposition (prom-client's `Registry`). */
export interface MetricsExposition {
  registry: { metrics(): Promise<string>; contentType: string };
}

/** What /readyz reads: the lease rounds' verdict and each job's failures here (the supervisor). */
export interface ReadinessSource {
  readiness(): string[];
  jobs(): readonly { id: string }[];
  runner(id: string): { readonly consecutiveFailures: number } | undefined;
}

export interface WebDeps {
  supervisor: ReadinessSource;
  metrics: MetricsExposition;
  readyMaxFailures: number;
}

export function healthRoutes(deps: WebDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  // Answered from what the process already knows, at once: a probe must never wait on the store
  // (the lease rounds say whether it answers).
  app.get("/readyz", (c) => {
    const problems = deps.supervisor.readiness();
    for (const job of deps.supervisor.jobs()) {
      const failures = deps.supervisor.runner(job.id)?.consecutiveFailures ?? 0;
      if (failures >= deps.readyMaxFailures) {
        const tenant = job.id === "default" ? "" : `tenant ${job.id}: `;
        problems.push(`${tenant}${failures} executions in a row failed`);
      }
    }
    return problems.length === 0
      ? c.json({ status: "ready" })
      : c.json({ status: "not ready", problems }, 503);
  });
  app.get("/metrics", async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.text(text, 200, { "content-type": deps.metrics.registry.contentType });
  });
  return app;
}

/**
 * The service's HTTP app: requests for another host name refused first (DNS rebinding), every body
 * bounded, then health and metrics (open to probes), then the dashboard behind its sign-in. No
 * error ever answers with a stack trace.
 */
export function webApp(health: WebDeps, dashboard: DashboardDeps, hosts: HostRules): Hono {
  const app = new Hono();
  app.use("*", hostGuard(hosts));
  app.use("*", bodyLimits());
  app.route("/", healthRoutes(health));
  app.route("/", dashboardRoutes(dashboard));
  app.onError((error, c) => {
    dashboard.logger.error(`HTTP request failed: ${error.message}`);
    return c.json({ error: "internal error; see the service's logs" }, 500);
  });
  return app;
}

export function listen(
  app: Hono,
  host: string,
  port: number,
): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      const shownHost = info.address.includes(":") ? `[${info.address}]` : info.address;
      resolve({ server, url: `http://${shownHost}:${info.port}` });
    });
    server.once("error", reject);
  });
}
