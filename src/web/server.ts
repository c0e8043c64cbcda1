// The service's HTTP listeners: the main one serves health, readiness, Prometheus metrics (the
// observer's text, metrics/prometheus.ts) and the dashboard behind its sign-in; routes that need no
// session (a push intake's) are mounted open, ahead of the dashboard, or served by a listener of
// their own. Every listener starts from `listenerApp`, so the host-name guard is first on each, and
// `listen` opens no other.

import { createServer as createHttpsServer } from "node:https";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "pino";
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

/** Routes served without the dashboard's session, under a path of their own: an intake's, say. */
export interface OpenMount {
  /** A path of one or more segments (`/log-stream`); everything under it is theirs. */
  path: string;
  routes: Hono;
}

/** The apps made by listenerApp: the only ones `listen` serves. */
const guarded = new WeakSet<Hono>();

/**
 * The start of every listener's app: requests for another host name refused first (DNS
 * rebinding), and no error ever answered with a stack trace.
 */
export function listenerApp(hosts: HostRules, logger: Logger): Hono {
  const app = new Hono();
  app.use("*", hostGuard(hosts));
  app.onError((error, c) => {
    logger.error(`HTTP request failed: ${error.message}`);
    return c.json({ error: "internal error; see the service's logs" }, 500);
  });
  guarded.add(app);
  return app;
}

/**
 * Mounts routes that need no session. Their path is theirs whole: a request under it that they do
 * not answer is answered 404 here, never handed on to what is mounted after (the dashboard, whose
 * sign-in gate covers every path no open mount claims). Mount them before the dashboard.
 */
export function mountOpen(app: Hono, mount: OpenMount): void {
  if (!/^(\/[a-z0-9][a-z0-9-]*)+$/.test(mount.path)) {
    throw new Error(`an open mount needs a path of its own, not "${mount.path}"`);
  }
  app.route(mount.path, mount.routes);
  app.all(mount.path, (c) => c.notFound());
  app.all(`${mount.path}/*`, (c) => c.notFound());
}

/**
 * The service's main HTTP app: the host-name guard, every body bounded, then health and metrics
 * (open to probes), then the open mounts, then the dashboard behind its sign-in.
 */
export function webApp(
  health: WebDeps,
  dashboard: DashboardDeps,
  hosts: HostRules,
  open: OpenMount[] = [],
): Hono {
  const app = listenerApp(hosts, dashboard.logger);
  app.use("*", bodyLimits());
  app.route("/", healthRoutes(health));
  for (const mount of open) mountOpen(app, mount);
  app.route("/", dashboardRoutes(dashboard));
  return app;
}

/**
 * Serves an app made by listenerApp (any other lacks the host-name guard) on `host`:`port`, over
 * https when given a certificate and key (PEM).
 */
export function listen(
  app: Hono,
  host: string,
  port: number,
  tls?: { cert: Buffer; key: Buffer },
): Promise<{ server: ServerType; url: string }> {
  if (!guarded.has(app)) {
    return Promise.reject(
      new Error("a listener's app must start from listenerApp (the host-name guard)"),
    );
  }
  return new Promise((resolve, reject) => {
    const options = { fetch: app.fetch, hostname: host, port };
    const secure = tls ? { createServer: createHttpsServer, serverOptions: tls } : {};
    const server = serve({ ...options, ...secure }, (info) => {
      const shownHost = info.address.includes(":") ? `[${info.address}]` : info.address;
      resolve({ server, url: `${tls ? "https" : "http"}://${shownHost}:${info.port}` });
    });
    server.once("error", reject);
  });
}
