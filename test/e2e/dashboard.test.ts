// The dashboard end to end, in Debian's Chromium driven by playwright-core, against the service
// process and the simulator: sign in, see runs, switch the job, reschedule, replay, live logs.
// UPDATE_SCREENSHOTS=1 writes the screenshots shown in the README to docs/screenshots/.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Browser, chromium, type Page } from "playwright-core";
import { type LogstashFake, startLogstash } from "../../simulator/logstash.ts";
import { startTenant, type TenantSimulator } from "../../simulator/tenant.ts";
import { spawnCli, tempDir } from "../helpers/cli.ts";
import { exporterEnv } from "../helpers/env.ts";
import { until } from "../helpers/poll.ts";

const PASSWORD = "e2e-dashboard-passphrase";
const SHOTS = new URL(
  process.env.UPDATE_SCREENSHOTS ? "../../docs/screenshots/" : "../../test-results/screenshots/",
  import.meta.url,
).pathname;

describe("dashboard in Chromium", { timeout: 300_000 }, () => {
  let tenant: TenantSimulator;
  let logstash: LogstashFake;
  let service: ReturnType<typeof spawnCli>;
  let browser: Browser;
  let page: Page;
  let url = "";

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tenant = await startTenant({ backlog: 1500, backlogSpanMs: 5 * 3_600_000, name: "e2e" });
    tenant.startStream(2);
    logstash = await startLogstash();
    const dir = tempDir();
    let stderr = "";
    service = spawnCli(
      ["run"],
      {
        ...exporterEnv(tenant, logstash, dir),
        HTTP_PORT: "0",
        SCHEDULE: "2s",
        DASHBOARD_PASSWORD: PASSWORD,
        INITIAL_LOOKBACK: "6h",
      },
      dir,
    );
    service.child.stderr.on("data", (chunk) => (stderr += chunk));
    url = await until(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1]);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    service?.child.kill("SIGTERM");
    await service?.done;
    tenant.stopStream();
    await tenant.close();
    await logstash.close();
  });

  it("is refused without the credential", async () => {
    const api = await page.request.get(`${url}/api/tenants/default/status`);
    assert.equal(api.status(), 401);
    await page.goto(`${url}/tenants/default/runs`);
    assert.match(page.url(), /\/login\?next=%2Ftenants%2Fdefault%2Fruns$/);
    await page.fill("#user", "admin");
    await page.fill("#password", "not-the-password");
    await page.click("button[type=submit]");
    await page.waitForSelector("[role=alert]");
    assert.match((await page.textContent("[role=alert]")) ?? "", /Wrong user name or password/);
    await page.screenshot({ path: `${SHOTS}login.png` });
  });

  it("signs in and shows runs appearing", async () => {
    await page.fill("#user", "admin");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(`${url}/tenants/default/runs`);
    await page.waitForSelector(".badge.success", { timeout: 20_000 });
    await until(
      () => (tenant.eventIds().every((id) => logstash.idCounts().has(id)) ? true : undefined),
      { timeoutMs: 30_000 },
    ).catch(() => {});
    await page.goto(`${url}/`);
    await page.waitForURL(`${url}/tenants/default`);
    await page.waitForSelector("text=Enabled");
    await page.waitForSelector("text=/Exported today: [1-9]/");
    await page.waitForSelector("text=Exported by this replica");
    await page.waitForSelector("[data-health-card] .health");
    await page.waitForSelector("[data-health] .health");
    await page.screenshot({ path: `${SHOTS}overview.png` });
    await page.click("nav.tabs >> text=Runs");
    await page.waitForSelector("tbody tr");
    await page.screenshot({ path: `${SHOTS}runs.png` });
    await page.click("tbody tr a");
    await page.waitForSelector("dl.details");
    await page.screenshot({ path: `${SHOTS}run.png` });
  });

  it("switches the job off, and executions stop; on again, and they resume", async () => {
    await page.goto(`${url}/tenants/default`);
    await page.click("[role=switch]");
    await page.waitForSelector("text=Disabled");
    await sleep(2500); // an execution already running may finish
    const before = (
      await (await page.request.get(`${url}/api/tenants/default/runs?limit=1000`)).json()
    ).filter((r: { outcome: string }) => r.outcome !== "skipped").length;
    await sleep(5000);
    const later = (
      await (await page.request.get(`${url}/api/tenants/default/runs?limit=1000`)).json()
    ).filter((r: { outcome: string }) => r.outcome !== "skipped").length;
    assert.equal(later, before, "no executions while disabled");
    await page.click("[role=switch]");
    await page.waitForSelector("text=Enabled");
    await until(async () => {
      const runs = await (
        await page.request.get(`${url}/api/tenants/default/runs?limit=1000`)
      ).json();
      return runs.filter((r: { outcome: string }) => r.outcome !== "skipped").length > later
        ? true
        : undefined;
    });
  });

  it("reschedules from the settings page, refusing a bad schedule", async () => {
    await page.goto(`${url}/tenants/default/settings`);
    await page.fill("#schedule", "every so often");
    await page.click("text=Save");
    await page.waitForSelector("p.error");
    await page.fill("#schedule", "3s");
    await page.click("text=Save");
    await page.waitForSelector("text=/Saved: 3s/");
    await page.screenshot({ path: `${SHOTS}settings.png` });
    const status = await (await page.request.get(`${url}/api/tenants/default/status`)).json();
    assert.equal(status.schedule, "3s");
  });

  it("moves the checkpoint forward only once the skip is ticked, and the run history shows it", async () => {
    // Two minutes ahead (within the clock skew allowed): later than any event sent yet.
    const ahead = new Date(Date.now() + 120_000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
    await page.goto(`${url}/tenants/default/replay`);
    await page.fill("#checkpoint", `900${ahead}${"0".repeat(39)}`);
    await page.click("text=Preview");
    await page.waitForSelector(
      "text=/This moves the checkpoint forward from .*: it skips every event between/",
    );
    const confirm = page.locator("button.danger");
    assert.equal(await confirm.textContent(), "Skip to here");
    assert.equal(await confirm.isDisabled(), true, "not without the tick");
    await page.check("#skip");
    assert.equal(await confirm.isDisabled(), false);
    await confirm.click();
    await page.waitForSelector("text=/Checkpoint moved forward to 900/");
    await page.goto(`${url}/tenants/default/runs?outcome=skipped-events`);
    await page.waitForSelector(".badge.skipped-events");
    await page.waitForSelector(
      "td.note >> text=/skipped every event between .* \\(confirmed on the dashboard\\)/",
    );
  });

  it("replays from a checkpoint, and the events are sent again", async () => {
    const from = tenant.eventIds()[1199] as string;
    const resend = tenant.eventIds().slice(1200, 1500);
    const before = resend.map((id) => logstash.idCounts().get(id) ?? 0);
    await page.goto(`${url}/tenants/default/replay`);
    await page.fill("#checkpoint", "12345");
    await page.click("text=Preview");
    await page.waitForSelector("[role=alert]");
    await page.fill("#checkpoint", from);
    await page.click("text=Preview");
    await page.waitForSelector("text=Embedded time");
    await page.screenshot({ path: `${SHOTS}replay.png` });
    await page.click("text=Replay from here");
    await page.waitForSelector("text=/Checkpoint moved to/");
    await until(
      () =>
        resend.every((id, i) => (logstash.idCounts().get(id) ?? 0) > (before[i] as number))
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
  });

  it("streams live logs as they happen, with a level filter", async () => {
    await page.goto(`${url}/logs`);
    await page.waitForSelector("li.log");
    const count = await page.locator("li.log").count();
    await page.request.post(`${url}/api/tenants/default/run-now`, {
      headers: {
        "x-csrf-token": (await page.getAttribute('meta[name="csrf-token"]', "content")) ?? "",
      },
    });
    await until(async () => ((await page.locator("li.log").count()) > count ? true : undefined));
    await page.selectOption("#level", "50");
    assert.equal(await page.locator("li.log.info:visible").count(), 0);
    await page.selectOption("#level", "30");
    await page.screenshot({ path: `${SHOTS}logs.png` });
  });
});
