// The floor into a cluster: the least any exporter into Elasticsearch/OpenSearch must do. It moves
// the backlog from the simulator to the fake cluster with one request in flight on each side, as
// bench/floor.ts does into Logstash, but a `_bulk` body needs one document per event: each page is
// parsed, and each event written as a `create` action with its log_id and the event as it came
// (less `_id`, which a source may not hold), uncompressed, into a plain index. The answer is not
// read. The Elasticsearch sink's throughput is also reported as a share of this floor.
// Usage: node bench/floor-bulk.ts TENANT_URL CLUSTER_URL FROM TOKEN

import { Agent, request } from "undici";

const [tenantUrl, clusterUrl, from, token] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 2 });
let url = `${tenantUrl}/api/v2/logs?from=${from}&take=100`;
let pending: Promise<unknown> = Promise.resolve();
let pages = 0;
for (;;) {
  const response = await request(url, {
    headers: { authorization: `Bearer ${token}` },
    dispatcher: agent,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`floor: tenant answered ${response.statusCode}`);
  const events = JSON.parse(text) as Record<string, unknown>[];
  if (events.length === 0) break;
  const next = /<([^>]+)>;\s*rel="next"/.exec(String(response.headers.link))?.[1];
  if (!next) throw new Error("floor: no next link");
  let body = "";
  for (const event of events) {
    event._id = undefined;
    body += `{"create":{"_id":"${event.log_id}"}}\n${JSON.stringify(event)}\n`;
  }
  await pending;
  pending = request(`${clusterUrl}/auth0-floor/_bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body,
    dispatcher: agent,
  }).then((answer) => answer.body.dump());
  url = next;
  pages++;
}
await pending;
await agent.close();
process.stdout.write(`${JSON.stringify({ pages })}\n`);
