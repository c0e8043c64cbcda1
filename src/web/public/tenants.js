// The tenants page: every tenant of the deployment at a glance, which replica exports it, and how
// far behind it is. Refreshed every two seconds.

import { api, badge, content, duration, h, holderText, time } from "./lib.js";

/** Failing comes first: a tenant retrying after failures is failing, not merely running. */
function state(t) {
  if (!t.enabled) return h("span", { class: "badge aborted" }, "disabled");
  if (t.consecutiveFailures > 0)
    return h("span", { class: "badge failed" }, `failing (${t.consecutiveFailures})`);
  if (t.running || t.lastRun?.outcome === "running") return badge("running");
  return h("span", { class: "badge success" }, "ok");
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
      h("td", {}, t.lastRun ? [badge(t.lastRun.outcome), ` ${time(t.lastRun.startedAt)}`] : "—"),
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
            "State",
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
