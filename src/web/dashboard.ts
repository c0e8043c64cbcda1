// The dashboard: pages and the JSON API behind them, on the service's HTTP listener.

import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import { type Context, Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { streamSSE } from "hono/streaming";
import { settingsPage } from "../config/describe.ts";
import { describe, StoreError } from "../errors.ts";
import { HEALTH_LABELS, healthLimits, readHealth, worstHealth } from "../runner/health.ts";
import { jobStatus } from "../runner/job-actions.ts";
import { authRoutes } from "./auth-routes.ts";
import { clientOf } from "./client.ts";
import type { DashboardDeps, Env } from "./context.ts";
import { BadRequest } from "./limits.ts";
import { page } from "./pages.ts";
import { tenantApi } from "./tenant-api.ts";

// A path, not a URL's pathname: an install folder may hold spaces or other escaped characters.
const PUBLIC = fileURLToPath(new URL("./public/", import.meta.url));
/** How often the live-log stream pings, and looks whether its session still exists. */
const PING_MS = 15_000;

export function dashboardRoutes(deps: DashboardDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
      referrerPolicy: "same-origin",
      // HSTS only when the browser really came over https (below): over http it means nothing,
      // and a proxy's TLS is only known from its X-Forwarded-Proto.
      strictTransportSecurity: false,
    }),
  );
  app.use("*", async (c, next) => {
    await next();
    if (clientOf(c, deps.trusted).https) {
      c.header("strict-transport-security", "max-age=15552000; includeSubDomains");
    }
  });
  app.onError((error, c) => {
    if (error instanceof BadRequest) return c.json({ error: error.message }, 400);
    // The database is down: say so (the message names the store, never its credentials).
    if (error instanceof StoreError) {
      return c.req.path.startsWith("/api/")
        ? c.json({ error: error.message }, 503)
        : c.text(`The dashboard cannot work right now: ${error.message}`, 503);
    }
    deps.logger.error(`dashboard request failed: ${error.message}`);
    return c.json({ error: "internal error; see the service's logs" }, 500);
  });
  app.use(
    "/static/*",
    serveStatic({ root: PUBLIC, rewriteRequestPath: (path) => path.replace(/^\/static/, "") }),
  );
  authRoutes(app, deps);
  app.use("/api/*", async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
  });

  const html = (c: Context<Env>, id: string, extra: { tenant?: string; runId?: string } = {}) =>
    c.html(page(id, { csrf: c.get("session").csrf, user: c.get("session").user, ...extra }));
  // One tenant: its overview is the home page; the list of one is no use.
  app.get("/", (c) => {
    const jobs = deps.supervisor.jobs();
    if (jobs.length === 1 && c.req.query("all") === undefined)
      return c.redirect(`/tenants/${(jobs[0] as { id: string }).id}`);
    return html(c, "tenants");
  });
  app.get("/logs", (c) => html(c, "logs"));
  app.get("/settings", (c) => html(c, "settings"));
  const tenantPage = "/tenants/:tenant{[a-z0-9][a-z0-9-]*}";
  for (const [path, id] of [
    ["", "overview"],
    ["/runs", "runs"],
    ["/replay", "replay"],
    ["/dead-letters", "dead-letters"],
    ["/settings", "tenant-settings"],
  ] as const) {
    app.get(`${tenantPage}${path}`, (c) => {
      const tenant = c.req.param("tenant") as string;
      if (!deps.supervisor.job(tenant)) return c.text("No such tenant.", 404);
      return html(c, id, { tenant });
    });
  }
  app.get(`${tenantPage}/runs/:id{[0-9]{1,15}}`, (c) => {
    const tenant = c.req.param("tenant") as string;
    if (!deps.supervisor.job(tenant)) return c.text("No such tenant.", 404);
    return html(c, "run", { tenant, runId: c.req.param("id") });
  });

  /** Every tenant's status with its health. */
  const tenantStatuses = () =>
    Promise.all(
      deps.supervisor.jobs().map(async (config) => {
        const store = deps.store.forJob(config.id);
        const status = await jobStatus(config, store, deps.supervisor.runner(config.id));
        const health = await readHealth(status, store, healthLimits(config, status.schedule));
        return { ...status, health };
      }),
    );
  app.get("/api/tenants", async (c) => {
    const tenants = await tenantStatuses();
    const replicas = await deps.store.replicas.live().catch(() => []);
    return c.json({ replica: deps.supervisor.replica, replicas, tenants });
  });
  // The header of every page: the worst state of the tenants, and each tenant's.
  app.get("/api/health", async (c) => {
    const tenants = (await tenantStatuses()).map((s) => ({ id: s.id, ...s.health }));
    const state = worstHealth(tenants.map((t) => t.state));
    return c.json({ state, label: HEALTH_LABELS[state], tenants });
  });
  tenantApi(app, deps);

  // The process's settings; with a tenants file, each tenant's are on its own page (tenant-api.ts).
  app.get("/api/settings", (c) => {
    const { file, settings } = settingsPage(deps.env, deps.cwd);
    return c.json({ file, tenants: deps.supervisor.jobs().map((job) => job.id), settings });
  });

  app.get("/api/logs", (c) =>
    streamSSE(
      c,
      async (stream) => {
        // The stream ends with the session: on sign-out here, when it expires, and, for a sign-out
        // on another replica, at the next ping, when the store no longer has the session.
        let ended = false;
        const end = () => {
          ended = true;
          void stream.close();
        };
        const id = c.get("sessionId");
        const stopListening = deps.sessions.onEnd(id, c.get("session"), end);
        const unsubscribe = deps.logs.subscribe((line) => {
          if (!ended) void stream.writeSSE({ event: "log", data: JSON.stringify(line) });
        });
        stream.onAbort(() => {
          unsubscribe();
          stopListening();
        });
        for (const line of deps.logs.recent()) {
          if (ended) break;
          await stream.writeSSE({ event: "log", data: JSON.stringify(line) });
        }
        while (!stream.aborted && !ended) {
          await stream.sleep(PING_MS);
          // A session that cannot be checked (the store is gone or closing) ends the stream too.
          const session = await deps.sessions.get(id).catch(() => null);
          if (!session) end();
          if (!ended) await stream.writeSSE({ event: "ping", data: "" });
        }
        unsubscribe();
        stopListening();
      },
      async (error) => {
        // Whatever ends a stream is told in one line, never as a stack trace.
        deps.logger.warn(`live logs stream ended: ${describe(error)}`);
      },
    ),
  );
  return app;
}
