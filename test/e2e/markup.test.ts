// Event content is text on every page of the dashboard, in Debian's Chromium: events whose fields
// hold markup (a script, an image with onerror, an attribute break-out, a javascript: URL) reach
// the pages through what the dashboard shows of them (dead-letter reasons quoting a refused value,
// run warnings and errors, live logs, a dead letter's document), and none of it becomes an element,
// an attribute or a link, nor runs. The outside probe found this held; this keeps it so.

import assert from "node:assert/strict";
import { it } from "node:test";
import { chromium, type Page } from "playwright-core";
import { until } from "../helpers/poll.ts";
import { SERVICE_PASSWORD, startService } from "../helpers/process.ts";
import { world } from "../helpers/world.ts";

/** Each sets window.__xss and opens a dialog, should it ever run. */
const PAYLOADS = [
  `<script>window.__xss="script";alert("script")</script>`,
  `<img src=x onerror="window.__xss='img';alert('img')">`,
  `"><svg onload="window.__xss='svg';alert('svg')">`,
  `javascript:window.__xss='js';alert('js')`,
  `<a href="javascript:window.__xss='a';alert('a')">click</a>`,
];
const [SCRIPT, IMG, SVG, JS, LINK] = PAYLOADS as [string, string, string, string, string];

/** An Auth0 event with markup in every field people read: user, description, IP, agent, client. */
function markedEvent(details: Record<string, unknown>) {
  return {
    date: new Date().toISOString(),
    type: "f",
    description: `Wrong password ${IMG}`,
    connection: SVG,
    client_name: LINK,
    ip: SVG,
    user_agent: JS,
    user_id: `auth0|${SCRIPT}`,
    user_name: SCRIPT,
    hostname: "e2e.eu.auth0.com",
    details,
  };
}

/** Waits for the page's content, then tells what would show that markup became markup. */
async function inspect(page: Page, path: string, url: string) {
  await page.goto(`${url}${path}`);
  if (!path.startsWith("/api/")) {
    // Asked from here, not polled in the page: Playwright polls a string predicate with eval,
    // which the dashboard's CSP (no 'unsafe-eval') refuses whenever the first answer is "not yet".
    await until(
      async () => (await page.evaluate('!document.querySelector("main [data-loading]")')) === true,
      { timeoutMs: 15_000, what: `${path} has loaded` },
    );
  }
  if (path === "/logs") await page.waitForSelector("li.log");
  // Run in the page (a string: this file is type-checked without the DOM's types).
  return (await page.evaluate(`({
    ran: window.__xss,
    injected: [
      ...document.querySelectorAll(
        "script:not([src]), [onerror], [onload], svg:not(.chart), iframe, img[src='x'], [href^='javascript:' i]",
      ),
    ].map((el) => el.outerHTML.slice(0, 80)),
    text: document.body.textContent,
  })`)) as { ran: unknown; injected: string[]; text: string };
}

it("markup in events is shown as text on every dashboard page, and runs nothing", {
  timeout: 300_000,
}, async (t) => {
  // Without the index templates, fields are mapped as first seen: an object where text was seen
  // is refused, and the cluster's reason previews the object's values.
  const w = await world(t, {
    tenant: { backlog: 10, name: "e2e" },
    search: {},
    env: { ELASTICSEARCH_SETUP: "off" },
  });
  w.tenant.addEvent(markedEvent({ request: { method: "POST", body: "grant_type=password" } }));
  w.tenant.addEvent(markedEvent({ request: { method: "POST", body: { user: SCRIPT, ip: SVG } } }));
  w.tenant.addEvent({
    ...markedEvent({}),
    user_name: { [SCRIPT]: IMG, link: JS } as unknown as string,
  });
  const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
  t.after(() => service.stop());
  await service.signIn();
  // `run` starts with an execution: run now is accepted (202), or that one is still running (409);
  // either exports the events above.
  const runNow = await service.call("/api/tenants/default/run-now", { method: "POST" });
  assert.ok([202, 409].includes(runNow.status), `run now: ${runNow.status}`);
  const refused = await until(
    async () => {
      const runs = JSON.parse((await service.call("/api/tenants/default/runs")).text) as {
        id: number;
        outcome: string;
        rejected: number;
      }[];
      return runs.find((run) => run.outcome === "success" && run.rejected === 2) ?? undefined;
    },
    { timeoutMs: 60_000 },
  );
  // A run whose error quotes upstream text (a cluster's reason) with markup, as a failed run keeps it.
  await w.withStore((store) =>
    store.forJob("default").runs.record({
      trigger: "manual",
      startedAt: new Date().toISOString(),
      endedAt: new Date().toISOString(),
      outcome: "failed",
      read: 0,
      sent: 0,
      filtered: 0,
      streamed: 0,
      rejected: 0,
      batches: 0,
      retries: 0,
      firstCheckpoint: null,
      lastCheckpoint: null,
      warnings: [`a warning quoting ${IMG} and ${LINK}`],
      error: `the cluster answered 400 (${SCRIPT} ${SVG} ${JS})`,
    }),
  );
  const failed = (
    JSON.parse((await service.call("/api/tenants/default/runs")).text) as { id: number }[]
  )[0]?.id;
  const letters = JSON.parse((await service.call("/api/tenants/default/dead-letters")).text) as {
    deadLetters: { id: number }[];
  };
  const letter = letters.deadLetters[0]?.id;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // The Content-Security-Policy would block an injected handler: its report is a sign of one.
  const blocked: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
  });
  await page.goto(`${service.url}/login`);
  await page.fill("#user", "admin");
  await page.fill("#password", SERVICE_PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/tenants\/default$/);

  /** Each page, and the text of markup it must show as text. */
  const pages: [string, string[]][] = [
    ["/?all", []],
    ["/tenants/default", [SCRIPT, SVG]],
    ["/tenants/default/runs", [SCRIPT]],
    [`/tenants/default/runs/${failed}`, [SCRIPT, SVG, JS, IMG, LINK]],
    [`/tenants/default/runs/${refused.id}`, ["refused", SCRIPT, SVG]],
    ["/tenants/default/dead-letters", [SCRIPT, IMG, SVG]],
    ["/tenants/default/replay", []],
    ["/tenants/default/settings", []],
    ["/settings", []],
    ["/logs", [SCRIPT, SVG]],
    // What an operator may open straight from the API: JSON, shown as text.
    [`/api/tenants/default/dead-letters/${letter}`, PAYLOADS],
    ["/api/tenants/default/runs", [SCRIPT]],
  ];
  for (const [path, shown] of pages) {
    const seen = await inspect(page, path, service.url);
    assert.equal(seen.ran, undefined, `${path}: a payload ran`);
    assert.deepEqual(seen.injected, [], `${path}: markup became elements`);
    for (const text of shown) {
      // JSON shows a quote as \" ; the page as itself.
      const as = path.startsWith("/api/") ? JSON.stringify(text).slice(1, -1) : text;
      assert.ok(seen.text.includes(as), `${path} shows ${text} as text`);
    }
  }
  assert.deepEqual(dialogs, [], "no dialog opened");
  assert.deepEqual(blocked, [], "nothing for the Content-Security-Policy to block");
});
