// Settings: the deployment's (process) settings, and each tenant's schedule and settings. Values
// are shown as loaded now, secrets masked, each with where it came from.

import { api, content, h, tenantApi, tenantPage, time } from "./lib.js";

function settingsTable(rows) {
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Setting", "Value", "Source", "Meaning"].map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, h("code", {}, row.name)),
          h(
            "td",
            {},
            row.value === null ? h("span", { class: "muted" }, "unset") : h("code", {}, row.value),
          ),
          h("td", {}, row.where ?? row.source),
          h("td", { class: "note" }, row.description),
        ),
      ),
    ),
  );
}

/** The deployment's settings; with a tenants file, the tenants' own are on their pages. */
export async function processSettings() {
  const s = await api("/api/settings");
  content(
    s.file
      ? h(
          "p",
          {},
          "Tenants file ",
          h("code", {}, s.file),
          `: ${s.tenants.length} tenant(s). Each tenant's settings are on its own page: `,
          ...s.tenants.flatMap((id, i) => [
            i > 0 ? ", " : "",
            h("a", { href: `/tenants/${encodeURIComponent(id)}/settings` }, id),
          ]),
          ".",
        )
      : null,
    h("h2", {}, s.file ? "Settings of the whole deployment" : "Effective configuration"),
    settingsTable(s.settings),
  );
}

/** One tenant's schedule (changed at once, on whichever replica holds it) and settings. */
export async function tenantSettings() {
  const s = await api(tenantApi("/settings"));
  const input = h("input", {
    id: "schedule",
    value: s.schedule,
    "aria-describedby": "schedule-help",
  });
  const message = h("p", { "aria-live": "polite" });
  const save = async (body) => {
    try {
      const status = await api(tenantApi("/schedule"), {
        method: "POST",
        body: JSON.stringify(body),
      });
      input.value = status.schedule;
      reset.hidden = status.scheduleSource !== "stored";
      message.className = "ok";
      message.textContent = `Saved: ${status.schedule}; next run ${time(status.nextRunAt)}.`;
    } catch (error) {
      message.className = "error";
      message.textContent = error.message;
    }
  };
  const reset = h(
    "button",
    { type: "button", onclick: () => save({ reset: true }) },
    `Reset to SCHEDULE (${s.configuredSchedule})`,
  );
  reset.hidden = s.scheduleSource !== "stored";
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        await save({ schedule: input.value });
      },
    },
    h("label", { for: "schedule" }, "Schedule"),
    h(
      "div",
      { class: "row" },
      input,
      h("button", { type: "submit", class: "primary" }, "Save"),
      reset,
    ),
    h(
      "p",
      { id: "schedule-help", class: "muted" },
      "A cron expression (5 or 6 fields) or an interval from 1s to 30d such as 30s or 5m. Applied at once, without restart, by whichever replica exports this tenant.",
    ),
    message,
  );
  content(
    form,
    h("h2", {}, "Settings of this tenant"),
    h(
      "p",
      { class: "muted" },
      "Those of the whole deployment (port, store, dashboard) are under ",
      h("a", { href: "/settings" }, "Settings"),
      ". Runs: ",
      h("a", { href: tenantPage("/runs") }, "history"),
      ".",
    ),
    settingsTable(s.settings),
  );
}
