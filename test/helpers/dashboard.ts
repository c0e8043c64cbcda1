// The dashboard in-process, with a cookie jar: for the API and safety tests that need no browser.

import type { TestContext } from "node:test";
import { addressList } from "../../src/util/addresses.ts";
import { LogHub } from "../../src/util/log-hub.ts";
import { hashPassword, Sessions, SignInLimiter, Verifier } from "../../src/web/auth.ts";
import { type OpenMount, webApp } from "../../src/web/server.ts";
import { serviceFor } from "./service.ts";
import type { World } from "./world.ts";

export const PASSWORD = "correct-horse-battery-staple";

export async function dashboardFor(
  t: TestContext,
  w: World,
  options: { overrides?: Record<string, string>; sessionTtlMs?: number; open?: OpenMount[] } = {},
) {
  const deps = await serviceFor(t, w, options.overrides);
  // As `run` serves it: this process holds the tenant, so run-now and replays start here.
  await deps.service.start();
  const logs = new LogHub();
  const sessions = new Sessions(
    options.sessionTtlMs ?? deps.config.dashboard.sessionTtlMs,
    deps.root.process,
  );
  const verifier = new Verifier(deps.config.dashboard.user, hashPassword(PASSWORD));
  const app = webApp(
    { supervisor: deps.supervisor, metrics: deps.metrics, readyMaxFailures: 3 },
    {
      dashboard: deps.config.dashboard,
      store: deps.root,
      supervisor: deps.supervisor,
      logger: deps.logger,
      logs,
      sessions,
      verifier,
      limiter: new SignInLimiter(),
      trusted: addressList(deps.config.http.trustedProxies),
      env: { ...w.env, ...options.overrides },
      cwd: w.dir,
    },
    { listen: deps.config.http.host, names: deps.config.http.allowedHosts ?? [] },
    options.open,
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
      const html = await (await request("/settings")).text();
      csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? "";
    }
    return response;
  };
  return { ...deps, app, request, signIn, logs, sessions, verifier };
}
