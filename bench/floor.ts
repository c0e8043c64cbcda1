// The floor: moves the backlog from the simulator to the Logstash fake as raw bytes, parsing
// nothing but the next link, with one request in flight on each side. No exporter can beat it;
// the exporter's throughput is reported as a share of it.
// Usage: node bench/floor.ts TENANT_URL LOGSTASH_URL FROM TOKEN

import { request } from "undici";
import { agent, pages, sinkUrl } from "./floor-pages.ts";

let pending: Promise<unknown> = Promise.resolve();
let count = 0;
for await (const body of pages()) {
  await pending;
  pending = request(sinkUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    dispatcher: agent,
  }).then((answer) => answer.body.dump());
  count++;
}
await pending;
await agent.close();
process.stdout.write(`${JSON.stringify({ pages: count })}\n`);
