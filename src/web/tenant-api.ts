// The JSON API of one tenant (job), served by any replica: reads come from the store, actions go
// through it to whichever replica holds the job (see runner/job-actions.ts).

import type { Hono } from "hono";
import { timeOfCheckpoint } from "../auth0/checkpoint.ts";
import { describeSettings } from "../config/describe.ts";
import { schedule } from "../config/settings.ts";
import { RUN_OUTCOMES, type RunOutcome } from "../interfaces.ts";
import { healthLimits, readHealth } from "../runner/health.ts";
import { lastVerification, verificationText } from "../runner/job.ts";
import {
  changeSchedule,
  jobStatus,
  resendDeadLetters,
  runNow,
  setEnabled,
} from "../runner/job-actions.ts";
import { effectiveSchedule } from "../runner/job-schedule.ts";
import { parseReplayTarget, recordReplay, skippedSpan } from "../runner/replay.ts";
import { streamEventsText, streamFigures, streamStatusText } from "../runner/stream-figures.ts";
import { retentionWarning } from "../runner/warnings.ts";
import { describeSink } from "../sinks/index.ts";
import type { DashboardDeps, Env } from "./context.ts";
import { jsonObject } from "./limits.ts";

const OUTCOMES = new Set<string>(RUN_OUTCOMES);

/** A page size from a query: whole numbers from 1 to 1000, 50 when missing or not a number. */
export function clampLimit(value: string | undefined, fallback = 50): number {
  const limit = Number.parseInt(value ?? "", 10);
  if (!Number.isFinite(limit)) return fallback;
  return Math.min(1000, Math.max(1, limit));
}

export function tenantApi(app: Hono<Env>, deps: DashboardDeps): void {
  const tenant = (id: string) => {
    const config = deps.supervisor.job(id);
    if (!config) return null;
    return { config, store: deps.store.forJob(id), runner: deps.supervisor.runner(id) };
  };
  const base = "/api/tenants/:tenant{[a-z0-9][a-z0-9-]*}";
  app.use(`${base}/*`, async (c, next) => {
    if (!tenant(c.req.param("tenant") as string)) return c.json({ error: "no such tenant" }, 404);
    await next();
  });
  const get = (c: { req: { param(name: string): string | undefined } }) =>
    tenant(c.req.param("tenant") as string) as NonNullable<ReturnType<typeof tenant>>;
  const who = (c: { get(key: "session"): { user: string } }) => c.get("session").user;

  app.get(`${base}/status`, async (c) => {
    const t = get(c);
    const midnight = new Date();
    midnight.setUTCHours(0, 0, 0, 0);
    const [status, perHour, sink, stream, verified] = await Promise.all([
      jobStatus(t.config, t.store, t.runner),
      t.store.runs.sentPerHour(midnight.toISOString()),
      t.runner?.sinkInfo(),
      t.config.logStream ? streamFigures(t.store, t.config.logStream) : null,
      lastVerification(t.store).catch(() => null),
    ]);
    const health = await readHealth(status, t.store, healthLimits(t.config, status.schedule));
    return c.json({
      ...status,
      health,
      sink: sink?.target ?? describeSink(t.config.sink),
      today: { sent: perHour.reduce((a, b) => a + b, 0), perHour },
      // Worded here, as `status` words it: the page shows the text.
      logStream: stream && {
        ...stream,
        active: stream.health?.status === "active",
        statusText: streamStatusText(stream),
        eventsText: streamEventsText(stream),
      },
      verification: verified && { ...verified, text: verificationText(verified) },
    });
  });

  app.get(`${base}/runs`, async (c) => {
    const outcome = c.req.query("outcome");
    const runs = await get(c).store.runs.list({
      limit: clampLimit(c.req.query("limit")),
      outcome: outcome && OUTCOMES.has(outcome) ? (outcome as RunOutcome) : undefined,
    });
    return c.json(runs);
  });

  app.get(`${base}/runs/:id{[0-9]{1,15}}`, async (c) => {
    const run = await get(c).store.runs.get(Number(c.req.param("id")));
    return run ? c.json(run) : c.json({ error: "no such run" }, 404);
  });

  app.post(`${base}/job`, async (c) => {
    const body = await jsonObject(c);
    if (typeof body.enabled !== "boolean")
      return c.json({ error: "enabled must be true or false" }, 400);
    await setEnabled(get(c).store, body.enabled);
    deps.logger.info(
      { user: who(c), tenant: c.req.param("tenant") },
      `job ${body.enabled ? "enabled" : "disabled"} from the dashboard`,
    );
    return c.json({ enabled: body.enabled });
  });

  app.post(`${base}/run-now`, async (c) => {
    const t = get(c);
    const result = await runNow(t.store, t.runner);
    if (result === "running") return c.json({ error: "an execution is already running" }, 409);
    return c.json({ started: result === "started", requested: result === "requested" }, 202);
  });

  app.post(`${base}/schedule`, async (c) => {
    const t = get(c);
    const body = await jsonObject(c);
    if (body.reset === true) {
      await changeSchedule(t.store, t.runner, null);
    } else {
      const parsed = schedule.safeParse(typeof body.schedule === "string" ? body.schedule : "");
      if (!parsed.success) {
        return c.json(
          { error: `SCHEDULE: ${parsed.error.issues[0]?.message ?? "invalid schedule"}` },
          400,
        );
      }
      await changeSchedule(t.store, t.runner, parsed.data);
    }
    deps.logger.info(
      {
        user: who(c),
        tenant: t.config.id,
        schedule: body.reset === true ? "reset" : body.schedule,
      },
      "schedule changed from the dashboard",
    );
    return c.json(await jobStatus(t.config, t.store, t.runner));
  });

  app.get(`${base}/settings`, async (c) => {
    const t = get(c);
    const [status, schedule] = await Promise.all([
      jobStatus(t.config, t.store, t.runner),
      effectiveSchedule(t.store, t.config.schedule),
    ]);
    return c.json({
      tenant: t.config.id,
      schedule: status.schedule,
      scheduleSource: schedule.source,
      configuredSchedule: t.config.schedule,
      settings: describeSettings(deps.env, deps.cwd, { tenant: t.config.id, scope: "job" }),
    });
  });

  app.get(`${base}/replay/preview`, async (c) => {
    const t = get(c);
    const target = parseReplayTarget({
      checkpoint: c.req.query("checkpoint"),
      since: c.req.query("since"),
    });
    if ("error" in target) return c.json(target, 400);
    const { checkpoint: previous } = await t.store.checkpoints.get();
    const warning = retentionWarning(target.checkpoint, t.config.auth0LogRetentionMs);
    return c.json({
      checkpoint: target.checkpoint,
      time: timeOfCheckpoint(target.checkpoint)?.toISOString(),
      previous,
      previousTime: previous ? (timeOfCheckpoint(previous)?.toISOString() ?? null) : null,
      // A move forward: what it skips, which the confirmation must name and accept (skip: true).
      skips: skippedSpan(previous, target.checkpoint),
      warnings: warning ? [warning] : [],
    });
  });

  app.post(`${base}/replay`, async (c) => {
    const t = get(c);
    const body = await jsonObject(c);
    const target = parseReplayTarget(body);
    if ("error" in target) return c.json(target, 400);
    if (body.skip !== undefined && typeof body.skip !== "boolean") {
      return c.json({ error: "skip must be true or false" }, 400);
    }
    const result = await recordReplay(t.store, target.checkpoint, t.config.auth0LogRetentionMs, {
      skip: body.skip === true,
      by: "confirmed on the dashboard",
    });
    if (!result.moved) {
      return c.json(
        {
          error: `This moves the checkpoint forward and would skip ${result.skips}: they would never be sent. Nothing moved; confirm the skip to do it.`,
          previous: result.previous,
          skips: result.skips,
        },
        409,
      );
    }
    deps.logger.info(
      {
        user: who(c),
        tenant: t.config.id,
        checkpoint: target.checkpoint,
        previous: result.previous,
        ...(result.skipped ? { skipped: result.skipped } : {}),
      },
      result.skipped
        ? "checkpoint moved forward, skipping events, from the dashboard"
        : "replay from the dashboard",
    );
    // The holder, here or elsewhere, notices the move and starts re-sending from it.
    if (t.runner && !t.runner.running) void t.runner.tick("replay");
    return c.json({ ...result, checkpoint: target.checkpoint }, 202);
  });

  app.get(`${base}/dead-letters`, async (c) => {
    const t = get(c);
    const state = c.req.query("state");
    const letters = await t.store.deadLetters.list({
      state: state === "resolved" || state === "all" ? state : "pending",
      limit: clampLimit(c.req.query("limit")),
    });
    // The list shows reasons; a document can be large, and is shown on its own (below).
    return c.json({
      counts: await t.store.deadLetters.count(),
      deadLetters: letters.map(({ document: _document, ...letter }) => letter),
    });
  });

  app.get(`${base}/dead-letters/:id{[0-9]{1,15}}`, async (c) => {
    const [letter] = await get(c).store.deadLetters.get([Number(c.req.param("id"))]);
    return letter ? c.json(letter) : c.json({ error: "no such dead letter" }, 404);
  });

  app.post(`${base}/dead-letters/retry`, async (c) => {
    const t = get(c);
    const body = await jsonObject(c);
    const ids =
      Array.isArray(body.ids) && body.ids.every((id) => Number.isSafeInteger(id))
        ? (body.ids as number[]).slice(0, 1000)
        : null;
    if (body.all !== true && ids === null) {
      return c.json({ error: "give ids (an array of dead letter numbers) or all: true" }, 400);
    }
    const which = body.all === true ? "all" : (ids as number[]);
    const outcome = await resendDeadLetters(t.config, t.store, t.runner, which, deps.logger);
    deps.logger.info(
      { user: who(c), tenant: t.config.id, ...outcome },
      "dead letters re-sent from the dashboard",
    );
    return c.json(outcome);
  });
}
