// The dashboard's safety and API, without a browser: sign-in, sessions, CSRF, headers, actions.

import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { Hono } from "hono";
import { createLogger } from "../src/util/logger.ts";
import { type Attempt, hashPassword, SignInLimiter, verifyPassword } from "../src/web/auth.ts";
import { listen, listenerApp, mountOpen } from "../src/web/server.ts";
import { sourceOf } from "../src/web/sign-in-limiter.ts";
import { dashboardFor, PASSWORD } from "./helpers/dashboard.ts";
import { world } from "./helpers/world.ts";

describe("dashboard safety", () => {
  it("refuses every page and API call without a session: 401 for the API, the sign-in page for browsers", async (t) => {
    const d = await dashboardFor(t, await world(t));
    for (const path of [
      "/api/tenants/default/status",
      "/api/tenants/default/runs",
      "/api/settings",
      "/api/logs",
    ]) {
      assert.equal((await d.request(path)).status, 401, path);
    }
    for (const path of [
      "/",
      "/tenants/default",
      "/tenants/default/runs/1",
      "/logs",
      "/settings",
      "/tenants/default/replay",
    ]) {
      const response = await d.request(path);
      assert.equal(response.status, 302, path);
      assert.match(response.headers.get("location") ?? "", /^\/login\?next=/);
    }
    assert.equal(
      (await d.request("/api/tenants/default/job", { method: "POST", body: "{}" })).status,
      401,
    );
    assert.equal((await d.request("/healthz")).status, 200, "probes stay open");
  });

  it("answers routes mounted open (an intake's) without a session; the dashboard's still need one", async (t) => {
    const intake = new Hono();
    intake.post("/", (c) => c.json({ accepted: true }));
    const d = await dashboardFor(t, await world(t), {
      open: [{ path: "/log-stream", routes: intake }],
    });
    const pushed = await d.request("/log-stream", { method: "POST", body: "[]" });
    assert.equal(pushed.status, 200);
    assert.deepEqual(await pushed.json(), { accepted: true });
    // The mount's path is its own: what it does not answer is not handed to the sign-in gate.
    for (const [method, path] of [
      ["GET", "/log-stream"],
      ["POST", "/log-stream/elsewhere"],
    ] as const) {
      assert.equal((await d.request(path, { method })).status, 404, `${method} ${path}`);
    }
    assert.equal((await d.request("/api/tenants/default/status")).status, 401);
    assert.equal((await d.request("/settings")).status, 302);
    // The host-name guard comes first, on open routes too.
    const rebound = await d.app.request("http://evil.example/log-stream", {
      method: "POST",
      body: "[]",
    });
    assert.equal(rebound.status, 421);
    await d.signIn();
    assert.equal((await d.request("/api/tenants/default/status")).status, 200);
  });

  it("opens a second listener only from listenerApp, with the host-name guard first", async (t) => {
    const logger = createLogger({ level: "silent", human: false });
    await assert.rejects(listen(new Hono(), "127.0.0.1", 0), /listenerApp/);
    const app = listenerApp({ listen: "127.0.0.1", names: [] }, logger);
    app.get("/healthz", (c) => c.json({ status: "ok" }));
    mountOpen(app, { path: "/log-stream", routes: new Hono().post("/", (c) => c.text("ok")) });
    assert.throws(() => mountOpen(app, { path: "/", routes: new Hono() }), /path of its own/);
    const { server, url } = await listen(app, "127.0.0.1", 0);
    t.after(() => new Promise((resolve) => server.close(resolve)));
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/log-stream`, { method: "POST" })).status, 200);
    assert.equal((await fetch(`${url}/login`)).status, 404, "no dashboard here");
    // fetch sends the URL's host whatever it is told: a raw request names another.
    const other = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest(`${url}/healthz`, { headers: { host: "evil.example" } });
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on("error", reject);
      request.end();
    });
    assert.equal(other, 421);
  });

  it("signs in with the right password only, and sets a strict HttpOnly session cookie", async (t) => {
    const d = await dashboardFor(t, await world(t));
    assert.equal((await d.signIn("admin", "wrong")).status, 401);
    assert.equal((await d.signIn("root", PASSWORD)).status, 401);
    const ok = await d.signIn();
    assert.equal(ok.status, 303);
    assert.match(
      ok.headers.get("set-cookie") ?? "",
      /HttpOnly.*SameSite=Strict|SameSite=Strict.*HttpOnly/,
    );
    assert.equal((await d.request("/api/tenants/default/status")).status, 200);
  });

  it("rate-limits failed sign-ins", async (t) => {
    const d = await dashboardFor(t, await world(t));
    for (let i = 0; i < 5; i++) assert.equal((await d.signIn("admin", `wrong-${i}`)).status, 401);
    const blocked = await d.signIn();
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  });

  it("requires the CSRF token for every state-changing request, and refuses other origins", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const d = await dashboardFor(t, w);
    await d.signIn();
    const body = JSON.stringify({ enabled: false });
    assert.equal(
      (await d.request("/api/tenants/default/job", { method: "POST", body })).status,
      403,
    );
    assert.equal(
      (
        await d.request("/api/tenants/default/job", {
          method: "POST",
          body,
          csrf: true,
          headers: { origin: "https://evil.example" },
        })
      ).status,
      403,
    );
    assert.equal(
      (await d.request("/api/tenants/default/job", { method: "POST", body, csrf: true })).status,
      200,
    );
    assert.equal(await d.store.state.get("enabled"), "false");
  });

  it("sends security headers, a strict CSP among them", async (t) => {
    const d = await dashboardFor(t, await world(t));
    await d.signIn();
    const response = await d.request("/settings");
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.ok(response.headers.get("x-frame-options"));
    assert.equal(
      (await d.request("/api/tenants/default/status")).headers.get("cache-control"),
      "no-store",
    );
  });

  it("keeps only a salted hash of the password", async () => {
    const hash = hashPassword("s3cret-passphrase");
    assert.ok(!hash.includes("s3cret"));
    assert.ok(await verifyPassword("s3cret-passphrase", hash));
    assert.ok(!(await verifyPassword("s3cret-passphrasE", hash)));
    assert.notEqual(hashPassword("same"), hashPassword("same"));
  });
});

describe("dashboard API", () => {
  it("runs now, lists runs with a filter, and shows one", async (t) => {
    const w = await world(t, { tenant: { backlog: 120 } });
    const d = await dashboardFor(t, w);
    await d.signIn();
    assert.equal(
      (await d.request("/api/tenants/default/run-now", { method: "POST", csrf: true })).status,
      202,
    );
    for (let i = 0; i < 50 && w.missing().length > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    const runs = (await (await d.request("/api/tenants/default/runs?outcome=success")).json()) as {
      id: number;
      sent: number;
    }[];
    assert.equal(runs[0]?.sent, 121);
    const run = (await (await d.request(`/api/tenants/default/runs/${runs[0]?.id}`)).json()) as {
      outcome: string;
    };
    assert.equal(run.outcome, "success");
    const status = (await (await d.request("/api/tenants/default/status")).json()) as {
      today: { sent: number; perHour: number[] };
    };
    assert.equal(status.today.sent, 121);
    assert.equal(status.today.perHour.length, 24);
  });

  it("says each tenant's health and the worst in the header: a failed execution makes it failing", async (t) => {
    type Health = { state: string; label: string; reasons: string[] };
    // Logstash wants credentials the exporter does not have: the execution fails. (Its look-back,
    // 30 days, is far from a 90-day retention: failing, not at risk.)
    const w = await world(t, {
      tenant: { backlog: 5 },
      logstash: { user: "u", password: "p" },
      env: { AUTH0_LOG_RETENTION: "90d" },
    });
    const d = await dashboardFor(t, w);
    await d.signIn();
    const page = await (await d.request("/tenants/default")).text();
    assert.match(page, /<p class="health-summary" data-health aria-live="polite"><\/p>/);
    assert.match(page, /<strong>default<\/strong> <span data-tenant-health><\/span>/);
    const before = (await (await d.request("/api/health")).json()) as Health;
    assert.equal(before.state, "ok");

    await d.request("/api/tenants/default/run-now", { method: "POST", csrf: true });
    let failed: unknown[] = [];
    for (let i = 0; i < 100 && failed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      failed = (await (await d.request("/api/tenants/default/runs?outcome=failed")).json()) as [];
    }
    assert.equal(failed.length, 1);
    const header = (await (await d.request("/api/health")).json()) as Health & {
      tenants: (Health & { id: string })[];
    };
    assert.equal(header.state, "failing");
    assert.equal(header.label, "failing");
    assert.deepEqual(
      header.tenants.map((t) => [t.id, t.state]),
      [["default", "failing"]],
    );
    const status = (await (await d.request("/api/tenants/default/status")).json()) as {
      health: Health;
    };
    assert.equal(status.health.state, "failing");
    assert.ok(
      status.health.reasons.includes("the last execution failed"),
      status.health.reasons.join(),
    );
    const list = (await (await d.request("/api/tenants")).json()) as {
      tenants: { health: Health }[];
    };
    assert.equal(list.tenants[0]?.health.state, "failing");
  });

  it("validates and applies a new schedule", async (t) => {
    const d = await dashboardFor(t, await world(t));
    await d.signIn();
    const bad = await d.request("/api/tenants/default/schedule", {
      method: "POST",
      csrf: true,
      body: JSON.stringify({ schedule: "every day" }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /cron expression/);
    const good = await d.request("/api/tenants/default/schedule", {
      method: "POST",
      csrf: true,
      body: JSON.stringify({ schedule: "*/15 * * * *" }),
    });
    assert.equal(good.status, 200);
    assert.equal(((await good.json()) as { schedule: string }).schedule, "*/15 * * * *");
  });

  it("previews a replay target, refuses a malformed one, and replays", async (t) => {
    const w = await world(t, { tenant: { backlog: 150 } });
    const d = await dashboardFor(t, w);
    await d.signIn();
    await d.service.tick("manual");
    const id = w.tenant.eventIds()[99] as string;
    const preview = (await (
      await d.request(`/api/tenants/default/replay/preview?checkpoint=${id}`)
    ).json()) as {
      time: string;
    };
    assert.match(preview.time, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(
      (await d.request("/api/tenants/default/replay/preview?checkpoint=123")).status,
      400,
    );
    assert.equal((await d.request("/api/tenants/default/replay/preview?since=soon")).status, 400);
    const replay = await d.request("/api/tenants/default/replay", {
      method: "POST",
      csrf: true,
      body: JSON.stringify({ checkpoint: id }),
    });
    assert.equal(replay.status, 202);
    for (let i = 0; i < 50 && w.duplicates().length < 51; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(w.duplicates().length, 51);
  });

  it("moves the checkpoint forward past events not sent yet only when the skip is confirmed, and records it", async (t) => {
    const w = await world(t, { tenant: { backlog: 20 } });
    const d = await dashboardFor(t, w);
    await d.signIn();
    await d.service.tick("manual");
    const before = (await d.store.checkpoints.get()).checkpoint as string;
    const unsent = w.tenant.addEvents(30);
    const to = unsent[19] as string;
    const preview = (await (
      await d.request(`/api/tenants/default/replay/preview?checkpoint=${to}`)
    ).json()) as { previous: string; skips: string | null };
    assert.equal(preview.previous, before);
    assert.match(preview.skips ?? "", /^every event between .+ UTC \(\d+s\) not sent yet$/);
    const back = w.tenant.eventIds()[5] as string;
    const backwards = await d.request(`/api/tenants/default/replay/preview?checkpoint=${back}`);
    assert.equal(((await backwards.json()) as { skips: unknown }).skips, null);

    const replay = (body: Record<string, unknown>) =>
      d.request("/api/tenants/default/replay", {
        method: "POST",
        csrf: true,
        body: JSON.stringify({ checkpoint: to, ...body }),
      });
    for (const body of [{}, { skip: false }]) {
      const refused = await replay(body);
      assert.equal(refused.status, 409, JSON.stringify(body));
      const answer = (await refused.json()) as { error: string; skips: string };
      assert.match(answer.error, /forward and would skip every event between .* never be sent/);
      assert.equal(answer.skips, preview.skips);
    }
    assert.equal((await replay({ skip: "yes" })).status, 400);
    assert.equal((await d.store.checkpoints.get()).checkpoint, before, "nothing moved");

    const skipped = await replay({ skip: true });
    assert.equal(skipped.status, 202);
    const [run] = await d.store.runs.list({ limit: 1, outcome: "skipped-events" });
    assert.equal(run?.trigger, "replay");
    assert.equal(run?.firstCheckpoint, before);
    assert.equal(run?.lastCheckpoint, to);
    assert.match(run?.warnings[0] ?? "", /^skipped every event .* \(confirmed on the dashboard\)$/);
    const listed = (await (
      await d.request("/api/tenants/default/runs?outcome=skipped-events")
    ).json()) as { id: number }[];
    assert.deepEqual(
      listed.map((r) => r.id),
      [run?.id],
    );
    // The execution the move starts sends what follows it, never the skipped events.
    const last = unsent.at(-1) as string;
    for (let i = 0; i < 100 && !w.logstash.idCounts().get(last); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const counts = w.logstash.idCounts();
    assert.deepEqual(
      unsent.map((id) => counts.get(id) ?? 0),
      unsent.map((_, i) => (i <= 19 ? 0 : 1)),
    );
  });

  it("shows the effective settings with secrets masked and their sources", async (t) => {
    const w = await world(t, { env: { LOGSTASH_TOKEN: "tok-very-secret-123" } });
    const d = await dashboardFor(t, w);
    await d.signIn();
    const text = await (await d.request("/api/settings")).text();
    assert.ok(!text.includes("tok-very-secret-123"));
    assert.ok(!text.includes("test-client-secret"));
    const { settings } = JSON.parse(text) as {
      settings: { name: string; source: string; value: string | null }[];
    };
    assert.equal(settings.find((s) => s.name === "BATCH_SIZE")?.source, "default");
    assert.equal(settings.find((s) => s.name === "LOGSTASH_INDEX")?.source, "environment");
    assert.equal(settings.find((s) => s.name === "LOGSTASH_TOKEN")?.value, "•••••• (set)");
  });
});

describe("sign-in limiter (clock and capacity injected)", () => {
  function limiter(capacity?: number) {
    let now = 1_000_000;
    const l = new SignInLimiter({ now: () => now, capacity });
    /** One attempt that fails: true when it was let through. */
    const fail = (address: string, user: string) => {
      const attempt = l.begin(address, user);
      if (typeof attempt === "number") return false;
      l.end(attempt, false);
      return true;
    };
    return { l, fail, advance: (ms: number) => (now += ms) };
  }

  it("keeps a live penalty however many addresses come after it; memory stays bounded", () => {
    const { l, fail } = limiter(4);
    for (let i = 0; i < 5; i++) assert.ok(fail("203.0.113.9", "admin"));
    for (let i = 0; i < 10_050; i++) fail(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, "x");
    assert.equal(fail("203.0.113.9", "admin"), false, "the admin's guesser still waits");
    assert.ok(l.size <= 4 * 9 + 9, `${l.size} entries`);
  });

  it("when every entry is a live penalty, new addresses share one count; expired entries make room", () => {
    const { fail, advance } = limiter(4);
    for (let a = 1; a <= 4; a++) for (let i = 0; i < 5; i++) fail(`203.0.113.${a}`, "admin");
    const newcomers = Array.from({ length: 30 }, (_, i) => fail(`10.0.0.${i}`, `user-${i}`));
    assert.equal(newcomers.filter(Boolean).length, 20, "held together after 20 failures");
    for (let a = 1; a <= 4; a++) assert.equal(fail(`203.0.113.${a}`, "admin"), false);
    advance(16 * 60_000);
    assert.ok(fail("10.0.1.1", "admin"), "expired entries were forgotten");
    const own = Array.from({ length: 30 }, (_, i) => fail("10.0.1.2", `user-${i}`));
    assert.equal(own.filter(Boolean).length, 20, "a newcomer has its own count again");
  });

  it("one address trying new names: 20 free, then about one a minute, in at most 9 entries", () => {
    const { l, fail, advance } = limiter();
    let allowed = 0;
    for (let second = 0; second < 3600; second++) {
      if (fail("203.0.113.9", `user-${second}`)) allowed++;
      advance(1000);
    }
    assert.ok(allowed >= 20 && allowed <= 90, `${allowed} names tried in an hour`);
    assert.ok(l.size <= 1 + 9, `${l.size} entries`);
  });

  it("two checks at a time per address; an attempt refused is not counted", () => {
    const { l } = limiter();
    const first = l.begin("203.0.113.9", "admin");
    const second = l.begin("203.0.113.9", "admin");
    assert.equal(typeof first, "object");
    assert.equal(typeof second, "object");
    assert.equal(l.begin("203.0.113.9", "admin"), 1);
    assert.equal(typeof l.begin("198.51.100.7", "admin"), "object", "another address is not held");
    l.end(first as Attempt, false);
    const third = l.begin("203.0.113.9", "admin");
    assert.equal(typeof third, "object");
    l.end(second as Attempt, false);
    l.end(third as Attempt, false);
    // Three failures counted, not four: two more are free.
    for (let i = 0; i < 2; i++) l.end(l.begin("203.0.113.9", "admin") as Attempt, false);
    assert.equal(typeof l.begin("203.0.113.9", "admin"), "number");
  });

  it("a success forgets the user's failures", () => {
    const { l, fail } = limiter();
    for (let i = 0; i < 4; i++) fail("203.0.113.9", "admin");
    l.end(l.begin("203.0.113.9", "Admin") as Attempt, true);
    for (let i = 0; i < 5; i++) assert.ok(fail("203.0.113.9", "admin"), `attempt ${i + 1}`);
    assert.equal(fail("203.0.113.9", "admin"), false);
  });

  it("counts IPv6 clients per /64", () => {
    for (const address of ["2001:db8:1:2:3:4:5:6", "2001:DB8:1:2::9", "2001:db8:1:2::1.2.3.4"]) {
      assert.equal(sourceOf(address), "2001:db8:1:2::/64", address);
    }
    assert.equal(sourceOf("fe80::1%eth0"), "fe80:0:0:0::/64");
    assert.equal(sourceOf("203.0.113.9"), "203.0.113.9");
    assert.equal(sourceOf("unknown"), "unknown");
  });
});
