// The parts of undici the exporter uses: the connection pool (Agent), the request API on it, and
// its error classes. undici's index also loads fetch, WebSocket, EventSource, the caches and the
// mocks, about 10 MB of a service that otherwise idles under 80 MB; so these are required from
// their own files, and the request API is put on Dispatcher's prototype as the index does.
// test/undici.test.ts checks that they are the very classes the index exports.

import { createRequire } from "node:module";
import type * as Undici from "undici";

const require = createRequire(import.meta.url);

const Dispatcher = require("undici/lib/dispatcher/dispatcher.js") as typeof Undici.Dispatcher;
Object.assign(Dispatcher.prototype, require("undici/lib/api/index.js"));

export const Agent = require("undici/lib/dispatcher/agent.js") as typeof Undici.Agent;
export type Agent = Undici.Agent;
export const errors = require("undici/lib/core/errors.js") as typeof Undici.errors;
export type { Dispatcher } from "undici";
