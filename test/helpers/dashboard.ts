// The dashboard in-process, with a cookie jar: for the API and safety tests that need no browser.

import type { TestContext } from "node:test";
import { Hono } from "hono";
import { LogHub } from "../../src/util/log-hub.ts";
import { hashPassword, Sessions } from "../../src/web/auth.ts";
import { dashboardRoutes } from "../../src/web/dashboard.ts";
import { healthRoutes } from "../../src/web/server.ts";
import { serviceFor } from "./service.ts";
import type { World } from "./world.ts";

export const PASSWORD = "correct-horse-battery-staple";

export async function dashboardFor(t: TestContext, w: World) {
  const deps = await serviceFor(t, w);
  const app = new Hono();
  app.route(
    "/",
    healthRoutes({
      store: deps.store,
      service: deps.service,
      metrics: deps.metrics,
      readyMaxFailures: 3,
    }),
  );
  app.route(
    "/",
    dashboardRoutes({
      config: deps.config,
      store: deps.store,
      service: deps.service,
      logger: (await import("../../src/util/logger.ts")).createLogger({
        level: "silent",
        human: false,
      }),
      logs: new LogHub(),
      sessions: new Sessions(deps.config.dashboard.sessionTtlMs),
      passwordHash: hashPassword(PASSWORD),
      env: w.env,
      cwd: w.dir,
    }),
  );
  let cookie = "";
  let csrf = "";
  const request = async (path: string, init: RequestInit & { csrf?: boolean } = {}) => {
    const headers = new Headers(init.headers);
    headers.set("host", "localhost");
    if (cookie) headers.set("cookie", cookie);
    if (init.csrf) headers.set("x-csrf-token", csrf);
    return app.request(`http://localhost${path}`, { ...init, headers, redirect: "manual" });
  };
  const signIn = async (user = "admin", password = PASSWORD) => {
    const response = await request("/login", {
      method: "POST",
      body: new URLSearchParams({ user, password, next: "/" }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const set = response.headers.get("set-cookie");
    if (set) {
      cookie = set.split(";")[0] as string;
      const html = await (await request("/")).text();
      csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? "";
    }
    return response;
  };
  return { ...deps, app, request, signIn };
}
