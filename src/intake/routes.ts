// The intake's HTTP face: `POST /log-stream` (the tenant the environment describes) and
// `POST /log-stream/<tenant id>` (a tenants file), plus `GET /healthz`, and nothing else: no
// session, no dashboard, no metrics. The sender's token is checked before its body is read; the
// body is bounded in bytes here, then in elements, values and nesting by parseStreamBody.

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import { describe } from "../errors.ts";
import { closeAfterAnswer } from "../web/limits.ts";
import { type Intake, PushRefused, RETRY_AFTER_S } from "./intake.ts";
import { parseStreamBody, StreamBodyError } from "./stream-body.ts";

/**
 * The largest body accepted. Auth0 does not say how many events it batches; 5 000 events (the
 * element bound) of a few KiB each fit, and anything larger is not a delivery we know of.
 */
export const INTAKE_BODY_BYTES = 16 * 1024 * 1024;

/** How often the same kind of refusal is logged for a tenant: a misconfigured stream retries for days. */
const REFUSAL_LOG_MS = 60_000;

type Env = { Variables: { tenant: string } };

export function intakeRoutes(intake: Intake, logger: Logger): Hono<Env> {
  const app = new Hono<Env>();
  const logged = new Map<string, number>();
  const say = (key: string, message: string) => {
    const now = Date.now();
    if ((logged.get(key) ?? 0) > now - REFUSAL_LOG_MS) return;
    if (logged.size > 1_000) logged.clear();
    logged.set(key, now);
    logger.warn(message);
  };

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  const limit = bodyLimit({
    maxSize: INTAKE_BODY_BYTES,
    onError: (c) => {
      closeAfterAnswer(c);
      return c.json({ error: `request body larger than ${INTAKE_BODY_BYTES} bytes` }, 413);
    },
  });

  /** The sender must be the tenant's stream: checked before the body is read. */
  const authorize: MiddlewareHandler<Env> = async (c, next) => {
    const tenant = c.req.param("tenant");
    try {
      c.set("tenant", intake.authorize(tenant, c.req.header("authorization")));
    } catch (error) {
      const message = error instanceof PushRefused ? error.message : describe(error);
      say(`401 ${tenant ?? ""} ${message}`, `Log Streams intake: 401 for a push (${message})`);
      closeAfterAnswer(c);
      c.header("www-authenticate", 'Bearer realm="log-stream"');
      return c.json({ error: "unauthorized" }, 401);
    }
    const encoding = c.req.header("content-encoding");
    if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
      closeAfterAnswer(c);
      return c.json({ error: `Content-Encoding ${encoding.slice(0, 40)} is not accepted` }, 415);
    }
    await next();
  };

  const push = async (c: Context<Env>): Promise<Response> => {
    const id = c.get("tenant");
    const text = await c.req.text();
    let body: ReturnType<typeof parseStreamBody>;
    try {
      body = parseStreamBody(text);
    } catch (error) {
      if (!(error instanceof StreamBodyError)) throw error;
      say(`${error.status} ${id}`, `Log Streams intake, tenant ${id}: ${error.message}`);
      return c.json({ error: error.message }, error.status);
    }
    try {
      const counts = await intake.accept(id, body);
      return c.json({ accepted: body.events.length + body.refused.length, ...counts }, 200);
    } catch (error) {
      const message = error instanceof PushRefused ? error.message : describe(error);
      say(
        `503 ${id}`,
        `Log Streams intake, tenant ${id}: answered 503, the stream will send again (${message})`,
      );
      c.header("retry-after", String(RETRY_AFTER_S));
      return c.json({ error: `not delivered, send again: ${message}` }, 503);
    }
  };

  app.post("/log-stream", authorize, limit, push);
  app.post("/log-stream/:tenant", authorize, limit, push);
  for (const path of ["/log-stream", "/log-stream/:tenant"]) {
    app.all(path, (c) => {
      c.header("allow", "POST");
      return c.json({ error: "only POST is accepted here" }, 405);
    });
  }
  app.notFound((c) => c.json({ error: "not found: the intake serves POST /log-stream" }, 404));
  return app;
}
