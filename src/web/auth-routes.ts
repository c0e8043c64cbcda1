// Sign-in, sign-out, and the gate in front of every dashboard page and API call.

import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { clientOf } from "./client.ts";
import { type DashboardDeps, type Env, SESSION_COOKIE } from "./context.ts";
import { loginForm } from "./limits.ts";
import { loginPage } from "./pages.ts";

/** A state-changing request from another origin is refused whatever it carries. */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  try {
    return new URL(origin).host === c.req.header("host");
  } catch {
    return false;
  }
}

function safeNext(value: unknown): string {
  return typeof value === "string" && /^\/(?!\/)[\w\-/?=&%.]*$/.test(value) ? value : "/";
}

export function authRoutes(app: Hono<Env>, deps: DashboardDeps): void {
  app.get("/login", (c) => c.html(loginPage({ next: safeNext(c.req.query("next")) })));

  app.post("/login", async (c) => {
    if (!sameOrigin(c)) return c.text("cross-origin sign-in refused", 403);
    const form = await loginForm(c);
    if (form === null) return c.html(loginPage({ error: "Malformed sign-in form." }), 400);
    const next = safeNext(form.next);
    const user = form.user ?? "";
    const password = form.password ?? "";
    const client = clientOf(c, deps.trusted);
    const busy = () => {
      c.header("retry-after", "1");
      return c.html(loginPage({ error: "Too many sign-ins at once. Try again.", next }), 503);
    };
    // Asked first, so that a sign-in refused as busy is not counted: under a flood from elsewhere,
    // a real user's 503s must not become failures. Nothing is awaited from here to `verify`.
    if (!deps.verifier.hasRoom()) return busy();
    // Counted before the password is checked: a burst sent at once cannot outrun the limit.
    const attempt = deps.limiter.begin(client.address, user);
    if (typeof attempt === "number") {
      c.header("retry-after", String(attempt));
      return c.html(
        loginPage({ error: `Too many failed sign-ins. Try again in ${attempt} s.`, next }),
        429,
      );
    }
    let ok: boolean | "busy" = false;
    try {
      ok = await deps.verifier.verify(user, password);
    } finally {
      deps.limiter.end(attempt, ok === true);
    }
    if (ok === "busy") return busy();
    if (!ok) {
      deps.logger.warn({ client: client.address }, "dashboard sign-in refused");
      return c.html(loginPage({ error: "Wrong user name or password.", next }), 401);
    }
    const { id } = await deps.sessions.create(user);
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: client.https,
      maxAge: Math.floor(deps.dashboard.sessionTtlMs / 1000),
    });
    deps.logger.info({ user }, "dashboard sign-in");
    return c.redirect(next, 303);
  });

  app.post("/logout", async (c) => {
    await deps.sessions.destroy(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/login", 303);
  });

  // Everything registered after this gate needs a session; writes also need the CSRF token. Its
  // scope is the dashboard: every path that nothing mounted before it answered, which open mounts
  // (server.ts mountOpen: an intake's routes) never hand on.
  app.use("*", async (c, next) => {
    const session = await deps.sessions.get(getCookie(c, SESSION_COOKIE));
    const api = c.req.path.startsWith("/api/");
    if (!session) {
      if (api) return c.json({ error: "sign in first" }, 401);
      return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 302);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      if (!sameOrigin(c) || c.req.header("x-csrf-token") !== session.csrf) {
        return c.json({ error: "missing or wrong CSRF token" }, 403);
      }
    }
    c.set("session", session);
    c.set("sessionId", getCookie(c, SESSION_COOKIE) as string);
    await next();
  });
}
