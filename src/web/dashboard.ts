// The dashboard: pages and the JSON API behind them, on the service's HTTP listener.

import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { streamSSE } from "hono/streaming";
import { timeOfCheckpoint } from "../auth0/checkpoint.ts";
import { describeSettings } from "../config/describe.ts";
import { schedule } from "../config/settings.ts";
import { isEnabled, JOB_ENABLED } from "../runner/job.ts";
import { parseReplayTarget, recordReplay } from "../runner/replay.ts";
import { retentionWarning } from "../runner/warnings.ts";
import { describeSink } from "../sinks/open.ts";
import { authRoutes } from "./auth-routes.ts";
import { clientOf } from "./client.ts";
import type { DashboardDeps, Env } from "./context.ts";
import { BadRequest, jsonObject } from "./limits.ts";
import { page } from "./pages.ts";

const PUBLIC = new URL("./public/", import.meta.url).pathname;

async function todayByHour(deps: DashboardDeps): Promise<number[]> {
  const start = new Date();
  start.setUTCHours(0, 0, 0, 0);
  const hours = new Array<number>(24).fill(0);
  for (const run of await deps.store.listRuns(5000)) {
    const at = Date.parse(run.endedAt ?? run.startedAt);
    if (at < start.getTime()) continue;
    hours[new Date(at).getUTCHours()] = (hours[new Date(at).getUTCHours()] ?? 0) + run.sent;
  }
  return hours;
}

/** A page size from a query: whole numbers from 1 to 1000, 50 when missing or not a number. */
export function clampLimit(value: string | undefined, fallback = 50): number {
  const limit = Number.parseInt(value ?? "", 10);
  if (!Number.isFinite(limit)) return fallback;
  return Math.min(1000, Math.max(1, limit));
}

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

  for (const [path, id] of [
    ["/", "overview"],
    ["/runs", "runs"],
    ["/logs", "logs"],
    ["/replay", "replay"],
    ["/dead-letters", "dead-letters"],
    ["/settings", "settings"],
  ] as const) {
    app.get(path, (c) =>
      c.html(page(id, { csrf: c.get("session").csrf, user: c.get("session").user })),
    );
  }
  app.get("/runs/:id{[0-9]+}", (c) =>
    c.html(
      page("run", {
        csrf: c.get("session").csrf,
        user: c.get("session").user,
        runId: c.req.param("id"),
      }),
    ),
  );

  app.get("/api/status", async (c) => {
    const status = await deps.service.status();
    const state = await deps.store.getCheckpoint();
    const time = state.checkpoint ? timeOfCheckpoint(state.checkpoint) : null;
    const [lastRun] = await deps.store.listRuns(1);
    const perHour = await todayByHour(deps);
    return c.json({
      ...status,
      sink: (await deps.service.sinkInfo())?.target ?? describeSink(deps.config),
      deadLetters: await deps.store.countDeadLetters(),
      checkpoint: state.checkpoint,
      checkpointTime: time?.toISOString() ?? null,
      lagSeconds: time ? Math.round((Date.now() - time.getTime()) / 1000) : null,
      lastRun: lastRun ?? null,
      today: { sent: perHour.reduce((a, b) => a + b, 0), perHour },
    });
  });

  app.get("/api/runs", async (c) => {
    const outcome = c.req.query("outcome");
    const limit = clampLimit(c.req.query("limit"));
    const runs = await deps.store.listRuns(outcome ? 5000 : limit);
    return c.json((outcome ? runs.filter((r) => r.outcome === outcome) : runs).slice(0, limit));
  });

  app.get("/api/runs/:id{[0-9]+}", async (c) => {
    const run = await deps.store.getRun(Number(c.req.param("id")));
    return run ? c.json(run) : c.json({ error: "no such run" }, 404);
  });

  app.post("/api/job", async (c) => {
    const body = await jsonObject(c);
    if (typeof body.enabled !== "boolean")
      return c.json({ error: "enabled must be true or false" }, 400);
    await deps.store.setJob(JOB_ENABLED, body.enabled ? "true" : "false");
    deps.logger.info(
      { user: c.get("session").user },
      `job ${body.enabled ? "enabled" : "disabled"} from the dashboard`,
    );
    return c.json({ enabled: await isEnabled(deps.store) });
  });

  app.post("/api/run-now", async (c) => {
    const status = await deps.service.status();
    if (status.running) return c.json({ error: "an execution is already running" }, 409);
    void deps.service.tick("manual");
    return c.json({ started: true }, 202);
  });

  app.post("/api/schedule", async (c) => {
    const body = await jsonObject(c);
    if (body.reset === true) {
      await deps.service.reschedule(null);
      deps.logger.info(
        { user: c.get("session").user },
        "schedule reset to SCHEDULE from the dashboard",
      );
      return c.json(await deps.service.status());
    }
    const parsed = schedule.safeParse(typeof body.schedule === "string" ? body.schedule : "");
    if (!parsed.success) {
      return c.json(
        { error: `SCHEDULE: ${parsed.error.issues[0]?.message ?? "invalid schedule"}` },
        400,
      );
    }
    await deps.service.reschedule(parsed.data);
    deps.logger.info(
      { user: c.get("session").user, schedule: parsed.data },
      "schedule changed from the dashboard",
    );
    return c.json(await deps.service.status());
  });

  app.get("/api/replay/preview", (c) => {
    const target = parseReplayTarget({
      checkpoint: c.req.query("checkpoint"),
      since: c.req.query("since"),
    });
    if ("error" in target) return c.json(target, 400);
    const time = timeOfCheckpoint(target.checkpoint);
    const warning = retentionWarning(target.checkpoint, deps.config.auth0LogRetentionMs);
    return c.json({
      checkpoint: target.checkpoint,
      time: time?.toISOString(),
      warnings: warning ? [warning] : [],
    });
  });

  app.post("/api/replay", async (c) => {
    const target = parseReplayTarget(await jsonObject(c));
    if ("error" in target) return c.json(target, 400);
    const result = await recordReplay(
      deps.store,
      target.checkpoint,
      deps.config.auth0LogRetentionMs,
    );
    deps.logger.info(
      { user: c.get("session").user, checkpoint: target.checkpoint, previous: result.previous },
      "replay from the dashboard",
    );
    void deps.service.tick("replay");
    return c.json({ ...result, checkpoint: target.checkpoint }, 202);
  });

  app.get("/api/dead-letters", async (c) => {
    const state = c.req.query("state");
    const letters = await deps.store.listDeadLetters({
      state: state === "resolved" || state === "all" ? state : "pending",
      limit: clampLimit(c.req.query("limit")),
    });
    // The list shows reasons; a document can be large, and is shown on its own (below).
    return c.json({
      counts: await deps.store.countDeadLetters(),
      deadLetters: letters.map(({ document: _document, ...letter }) => letter),
    });
  });

  app.get("/api/dead-letters/:id{[0-9]+}", async (c) => {
    const [letter] = await deps.store.getDeadLetters([Number(c.req.param("id"))]);
    return letter ? c.json(letter) : c.json({ error: "no such dead letter" }, 404);
  });

  app.post("/api/dead-letters/retry", async (c) => {
    const body = await jsonObject(c);
    const ids =
      Array.isArray(body.ids) && body.ids.every((id) => Number.isSafeInteger(id))
        ? (body.ids as number[]).slice(0, 1000)
        : null;
    if (body.all !== true && ids === null) {
      return c.json({ error: "give ids (an array of dead letter numbers) or all: true" }, 400);
    }
    const outcome = await deps.service.retryDeadLetters(
      body.all === true ? "all" : (ids as number[]),
    );
    deps.logger.info(
      { user: c.get("session").user, ...outcome },
      "dead letters re-sent from the dashboard",
    );
    return c.json(outcome);
  });

  app.get("/api/settings", async (c) => {
    const status = await deps.service.status();
    return c.json({
      settings: describeSettings(deps.env, deps.cwd),
      schedule: status.schedule,
      scheduleSource: status.scheduleSource,
      configuredSchedule: deps.config.schedule,
    });
  });

  app.get("/api/logs", (c) =>
    streamSSE(c, async (stream) => {
      // The stream ends with the session: on sign-out, and when it expires.
      let ended = false;
      const stopListening = deps.sessions.onEnd(c.get("sessionId"), () => {
        ended = true;
        void stream.close();
      });
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
        await stream.sleep(15_000);
        if (!ended) await stream.writeSSE({ event: "ping", data: "" });
      }
      unsubscribe();
      stopListening();
    }),
  );
  return app;
}
