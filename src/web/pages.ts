// The HTML shells of the dashboard. The server renders the frame and the navigation; the small
// script in public/app.js fills each page from the JSON API, so no build step is needed.

import { RUN_OUTCOMES } from "../interfaces.ts";

/** The deployment's pages. */
const PAGES = [
  { path: "/", id: "tenants", title: "Tenants" },
  { path: "/logs", id: "logs", title: "Live logs" },
  { path: "/settings", id: "settings", title: "Settings" },
];

/** One tenant's pages, under /tenants/:id. */
const TENANT_PAGES = [
  { path: "", id: "overview", title: "Overview" },
  { path: "/runs", id: "runs", title: "Runs" },
  { path: "/replay", id: "replay", title: "Replay" },
  { path: "/dead-letters", id: "dead-letters", title: "Dead letters" },
  { path: "/settings", id: "tenant-settings", title: "Settings" },
];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function frame(title: string, body: string, head = ""): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · auth0-logs-to-logstash</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="data:,">
${head}
</head>
<body>
${body}
</body>
</html>`;
}

export function page(
  id: string,
  options: { csrf: string; user: string; tenant?: string; runId?: string },
): string {
  const { tenant, runId } = options;
  const inTenant = tenant !== undefined;
  const own = TENANT_PAGES.find((p) => p.id === id);
  const title =
    id === "run"
      ? `Run ${runId}`
      : ((inTenant ? own?.title : PAGES.find((p) => p.id === id)?.title) ?? id);
  const current = (p: { id: string }) =>
    p.id === id || (id === "run" && p.id === "runs") || (inTenant && p.id === "tenants");
  const link = (path: string, p: { id: string; title: string }) =>
    `<a href="${path}"${current(p) ? ' aria-current="page"' : ""}>${p.title}</a>`;
  const nav = PAGES.map((p) => link(p.path, p)).join("");
  const tenantNav = inTenant
    ? `<nav class="tabs" aria-label="Tenant ${escapeHtml(tenant)}">${TENANT_PAGES.map((p) =>
        link(`/tenants/${encodeURIComponent(tenant)}${p.path}`, p),
      ).join("")}</nav>`
    : "";
  const heading = inTenant
    ? `<p class="crumbs"><a href="/">Tenants</a> › <strong>${escapeHtml(tenant)}</strong> <span data-tenant-health></span></p><h1>${escapeHtml(title)}</h1>`
    : `<h1>${escapeHtml(title)}</h1>`;
  const data = [
    `data-page="${escapeHtml(id)}"`,
    inTenant ? `data-tenant="${escapeHtml(tenant)}"` : "",
    runId ? `data-run="${escapeHtml(runId)}"` : "",
    // The runs page's filter offers the outcomes the store knows: listed once, in interfaces.ts.
    id === "runs" ? `data-outcomes="${escapeHtml(RUN_OUTCOMES.join(" "))}"` : "",
  ]
    .filter(Boolean)
    .join(" ");
  return frame(
    inTenant ? `${title} · ${tenant}` : title,
    `<header class="top">
  <a class="brand" href="/">auth0-logs-to-logstash</a>
  <nav aria-label="Main">${nav}</nav>
  <p class="health-summary" data-health aria-live="polite"></p>
  <form method="post" action="/logout" class="signout" data-csrf-form>
    <span class="who">${escapeHtml(options.user)}</span>
    <button type="submit" class="link">Sign out</button>
  </form>
</header>
<main id="main" ${data} tabindex="-1">
  ${heading}
  ${tenantNav}
  <p class="muted" data-loading>Loading…</p>
</main>
<div id="toast" role="status" aria-live="polite"></div>
<script type="module" src="/static/app.js"></script>`,
    `<meta name="csrf-token" content="${escapeHtml(options.csrf)}">`,
  );
}

export function loginPage(options: { error?: string; next?: string }): string {
  return frame(
    "Sign in",
    `<main class="login" id="main">
  <h1>auth0-logs-to-logstash</h1>
  <form method="post" action="/login" class="card">
    <h2>Sign in</h2>
    ${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ""}
    <input type="hidden" name="next" value="${escapeHtml(options.next ?? "/")}">
    <label for="user">User</label>
    <input id="user" name="user" autocomplete="username" required autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" class="primary">Sign in</button>
  </form>
</main>`,
  );
}
