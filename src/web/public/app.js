// The dashboard's browser code: plain ES modules, no build. Each page is filled from the JSON API;
// the server names the page (and its tenant) on <main>.

import { deadLetters } from "./dead-letters.js";
import { main, toast } from "./lib.js";
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
