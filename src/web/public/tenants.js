// The tenants page: every tenant of the deployment at a glance, which replica exports it, and how
// far behind it is. Refreshed every two seconds.

import {
  api,
  badge,
  content,
  duration,
  h,
  healthBadge,
  holderText,
  runBadge,
  time,
} from "./lib.js";

/** The tenant's health (failing while a retry runs, not merely running), and whether it runs now. */
function state(t) {
  const running = t.enabled && (t.running || t.lastRun?.outcome === "running");
  return [healthBadge(t.health), running ? [" ", badge("running")] : null];
}

export async function tenants() {
  const { replica, replicas, tenants: list } = await api("/api/tenants");
  const held = list.filter((t) => t.here).length;
  const rows = list.map((t) =>
    h(
      "tr",
      { "data-tenant": t.id },
      h("th", { scope: "row" }, h("a", { href: `/tenants/${encodeURIComponent(t.id)}` }, t.id)),
      h("td", {}, state(t)),
      h("td", {}, holderText(t.holder, t.here)),
      h("td", {}, t.lastRun ? [runBadge(t.lastRun), ` ${time(t.lastRun.startedAt)}`] : "—"),
      h("td", { class: "num" }, t.lagSeconds === null ? "—" : duration(t.lagSeconds)),
      h("td", {}, t.enabled ? time(t.nextRunAt) : "—"),
      h(
        "td",
        { class: "num" },
        t.deadLetters.pending > 0
          ? h(
              "a",
              { class: "error", href: `/tenants/${encodeURIComponent(t.id)}/dead-letters` },
              String(t.deadLetters.pending),
            )
          : "0",
      ),
    ),
  );
  content(
    h(
      "p",
      { class: "muted" },
      `${list.length} tenant(s); ${replicas.length} replica(s) live; this one (${replica.host}, pid ${replica.pid}) exports ${held}.`,
    ),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...[
            "Tenant",
            "Health",
            "Exported by",
            "Last run",
            "Behind",
            "Next run",
            "Dead letters",
          ].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}
