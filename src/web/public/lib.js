// What every page of the dashboard uses: the element builder, the API client, formatting.

export const main = document.getElementById("main");
export const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
/** The tenant of this page, when it is one tenant's. */
export const tenant = main.dataset.tenant ?? null;
/** A path of this tenant's API, and of its pages. */
export const tenantApi = (path) => `/api/tenants/${encodeURIComponent(tenant)}${path}`;
export const tenantPage = (path = "") => `/tenants/${encodeURIComponent(tenant)}${path}`;
export const LEVELS = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false)
      el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: {
      "content-type": "application/json",
      "x-csrf-token": csrf,
      ...(options.headers ?? {}),
    },
  });
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new Error("signed out");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

export function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.classList.add("show");
  setTimeout(() => el.classList.remove("show"), 4000);
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export const time = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
export const badge = (outcome) => h("span", { class: `badge ${outcome}` }, outcome);
/** A run's outcome: a success that dead-lettered documents is not a green success. */
export const runBadge = (run) =>
  run.outcome === "success" && run.rejected > 0
    ? h("span", { class: "badge dead-letters" }, "success with dead letters")
    : badge(run.outcome);
/** A tenant's health (src/runner/health.ts): its words, coloured; the reasons on hover. */
export const healthBadge = (health, text = health.label) =>
  h("span", { class: `health ${health.state}`, title: health.reasons?.join("\n") || null }, text);
export const tookOf = (run) =>
  run.endedAt ? duration((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000) : "running";

export function content(...nodes) {
  main.querySelector("[data-loading]")?.remove();
  let body = main.querySelector(".body");
  if (!body) {
    body = h("div", { class: "body" });
    main.append(body);
  }
  // Pages refresh themselves: keep the keyboard focus where it was.
  const focused = document.activeElement?.dataset?.key;
  body.replaceChildren(
    ...nodes.filter((node) => node !== null && node !== undefined && node !== false),
  );
  if (focused) body.querySelector(`[data-key="${focused}"]`)?.focus();
}

/** As the CLI writes them (src/util/counts-text.ts). */
export function countsText(c) {
  const streamed = c.streamed > 0 ? `, ${c.streamed} already streamed` : "";
  const rejected = c.rejected > 0 ? `, ${c.rejected} dead-lettered` : "";
  return `read ${c.read}, sent ${c.sent}, filtered ${c.filtered}${streamed}${rejected}`;
}

/** Who holds a job: "this replica", or host and pid of another one. */
export function holderText(holder, here) {
  if (here) return "this replica";
  if (!holder) return "no one";
  return `${holder.host} (pid ${holder.pid})`;
}
