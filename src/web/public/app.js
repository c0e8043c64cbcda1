// The dashboard's browser code: plain ES modules, no build. Each page is filled from the JSON API;
// the server names the page (and its tenant) on <main>.

import { deadLetters } from "./dead-letters.js";
import { api, h, healthBadge, main, tenant, toast } from "./lib.js";
import { logs } from "./logs.js";
import { overview } from "./overview.js";
import { replay } from "./replay.js";
import { run, runs } from "./runs.js";
import { processSettings, tenantSettings } from "./settings.js";
import { tenants } from "./tenants.js";

const pages = {
  tenants,
  overview,
  runs,
  run,
  logs,
  replay,
  settings: processSettings,
  "tenant-settings": tenantSettings,
  "dead-letters": deadLetters,
};
/** Pages that follow what happens, and how often they look again (ms). */
const REFRESH = { tenants: 2000, overview: 2000, runs: 5000 };

/**
 * The header's health: the worst state of the tenants, and on a tenant's pages that tenant's. Only
 * changed text is written, so that a screen reader hears a change, not every refresh.
 */
async function health() {
  const { state, label, tenants: list } = await api("/api/health");
  const worse = list.filter((t) => t.state === state).length;
  const summary =
    list.length > 1 && state !== "ok" ? `${label} (${worse} of ${list.length} tenants)` : label;
  const slot = document.querySelector("[data-health]");
  if (slot && slot.dataset.shown !== summary) {
    slot.dataset.shown = summary;
    const reasons = list
      .filter((t) => t.state !== "ok")
      .map((t) => `${t.id}: ${t.label}`)
      .join("\n");
    slot.replaceChildren(
      h("span", { class: "label" }, "Health "),
      h("a", { href: "/" }, healthBadge({ state, label, reasons: [reasons] }, summary)),
    );
  }
  const own = list.find((t) => t.id === tenant);
  const crumb = document.querySelector("[data-tenant-health]");
  const text = own ? [own.label, ...own.reasons].join("|") : "";
  if (own && crumb && crumb.dataset.shown !== text) {
    crumb.dataset.shown = text;
    crumb.replaceChildren(healthBadge(own));
  }
}

const render = pages[main.dataset.page];
async function refresh() {
  try {
    await render();
  } catch (error) {
    if (error.message !== "signed out") toast(`Could not load: ${error.message}`);
  }
}
refresh();
const every = REFRESH[main.dataset.page];
if (every) setInterval(refresh, every);
// Every page follows the health, even one that does not refresh itself (a form being filled in).
const followHealth = () => health().catch(() => {});
followHealth();
setInterval(followHealth, 5000);
