// The HTML shells of the dashboard. The server renders the frame and the navigation; the small
// script in public/app.js fills each page from the JSON API, so no build step is needed.

const PAGES = [
  { path: "/", id: "overview", title: "Overview" },
  { path: "/runs", id: "runs", title: "Runs" },
  { path: "/logs", id: "logs", title: "Live logs" },
  { path: "/replay", id: "replay", title: "Replay" },
  { path: "/dead-letters", id: "dead-letters", title: "Dead letters" },
  { path: "/settings", id: "settings", title: "Settings" },
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

export function page(id: string, options: { csrf: string; user: string; runId?: string }): string {
  const current = PAGES.find((p) => p.id === id) ?? { title: `Run ${options.runId}`, id };
  const nav = PAGES.map(
    (p) =>
      `<a href="${p.path}"${p.id === id || (id === "run" && p.id === "runs") ? ' aria-current="page"' : ""}>${p.title}</a>`,
  ).join("");
  return frame(
    current.title,
    `<header class="top">
  <a class="brand" href="/">auth0-logs-to-logstash</a>
  <nav aria-label="Main">${nav}</nav>
  <form method="post" action="/logout" class="signout" data-csrf-form>
    <span class="who">${escapeHtml(options.user)}</span>
    <button type="submit" class="link">Sign out</button>
  </form>
</header>
<main id="main" data-page="${escapeHtml(id)}"${options.runId ? ` data-run="${escapeHtml(options.runId)}"` : ""} tabindex="-1">
  <h1>${escapeHtml(current.title)}</h1>
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
