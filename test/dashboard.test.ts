// The dashboard's safety and API, without a browser: sign-in, sessions, CSRF, headers, actions.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, verifyPassword } from "../src/web/auth.ts";
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
