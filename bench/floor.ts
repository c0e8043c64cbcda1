// The floor: moves the backlog from the simulator to the Logstash fake as raw bytes, parsing
// nothing but the next link, with one request in flight on each side. No exporter can beat it;
// the exporter's throughput is reported as a share of it.
// Usage: node bench/floor.ts TENANT_URL LOGSTASH_URL FROM TOKEN

import { relay, sinkUrl } from "./floor-pages.ts";

await relay((page) => ({ url: sinkUrl, contentType: "application/json", body: page }));
