// The dashboard of a deployment of several tenants, in Debian's Chromium: it opens on the table of
// tenants (state, who exports each, lag), a failing tenant stands out, and each row leads to that
// tenant's own pages. UPDATE_SCREENSHOTS=1 writes docs/screenshots/tenants.png.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { it } from "node:test";
import { chromium } from "playwright-core";
import { until } from "../helpers/poll.ts";
import { SERVICE_PASSWORD } from "../helpers/process.ts";
import { deploymentWorld, startRun } from "../helpers/tenants.ts";

const SHOTS = new URL(
  process.env.UPDATE_SCREENSHOTS ? "../../docs/screenshots/" : "../../test-results/screenshots/",
  import.meta.url,
).pathname;

it("opens on the tenants, shows which one fails and who exports each, and leads to their pages", {
  timeout: 120_000,
}, async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  const d = await deploymentWorld(t, {
    top: { SCHEDULE: "2s" },
    tenants: {
      "prod-eu": { auth0: { backlog: 400, name: "prod-eu" } },
      "prod-us": { auth0: { backlog: 250, name: "prod-us" } },
      staging: { auth0: { backlog: 120, name: "staging" } },
      dev: { auth0: { backlog: 30, name: "dev", faults: { rate: 1, kinds: ["503"] } } },
    },
  });
  d.write();
  const service = await startRun(t, d, { RETRY_MAX_TIME: "1s" });
  await until(() => (d.tenant("prod-eu").missing().length === 0 ? true : undefined), {
    timeoutMs: 30_000,
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await page.goto(`${service.url}/`);
  await page.fill("#user", "admin");
  await page.fill("#password", SERVICE_PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForURL(`${service.url}/`);
  // Health, in words and colour: dev never exported its 30-day look-back of a 31-day retention
  // (its first execution failing, or still retrying: at risk all the same).
  await page.waitForSelector('tr[data-tenant="dev"] .health.at-risk', { timeout: 20_000 });
  assert.match(
    (await page.getAttribute('tr[data-tenant="dev"] .health', "title")) ?? "",
    /^30d 0h behind, over half of AUTH0_LOG_RETENTION \(31d 0h\)/,
  );
  await page.waitForSelector('tr[data-tenant="staging"] .badge.success');
  await page.waitForSelector('tr[data-tenant="staging"] .health.ok');
  // The header: the worst of the tenants, once the others have caught up their look-back too.
  await page.waitForSelector(
    '[data-health] .health.at-risk >> text="retention at risk (1 of 4 tenants)"',
    {
      timeout: 20_000,
    },
  );
  assert.equal(await page.locator("tbody tr").count(), 4);
  assert.match(
    (await page.textContent('tr[data-tenant="prod-eu"]')) ?? "",
    /this replica/,
    "the replica that exports it",
  );
  assert.match((await page.textContent("main")) ?? "", /4 tenant\(s\); 1 replica\(s\) live/);
  await page.screenshot({ path: `${SHOTS}tenants.png` });

  await page.click('tr[data-tenant="staging"] a');
  await page.waitForURL(`${service.url}/tenants/staging`);
  await page.waitForSelector("text=Exported by this replica");
  await page.waitForSelector("[data-tenant-health] .health.ok");
  assert.equal(await page.textContent("nav.tabs [aria-current=page]"), "Overview");
  await page.click("nav.tabs >> text=Runs");
  await page.waitForURL(`${service.url}/tenants/staging/runs`);
  await page.waitForSelector("tbody tr .badge.success");
  await page.click("nav.tabs >> text=Settings");
  await page.waitForSelector("text=Settings of this tenant");
  // The tenant's settings say where the tenants file sets them, and never show its secret.
  assert.match((await page.textContent("table")) ?? "", /tenants\.yaml:\d+/);
  assert.doesNotMatch(await page.content(), new RegExp(d.tenant("staging").secret));
  await page.click(".crumbs a");
  await page.waitForURL(`${service.url}/`);
});
