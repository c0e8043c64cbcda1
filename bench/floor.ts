// The floor: moves the backlog from the simulator to the Logstash fake as raw bytes, parsing
// nothing but the next link, with one request in flight on each side. No exporter can beat it;
// the exporter's throughput is reported as a share of it.
// Usage: node bench/floor.ts TENANT_URL LOGSTASH_URL FROM TOKEN

import { Agent, request } from "undici";

const [tenantUrl, logstashUrl, from, token] = process.argv.slice(2) as [
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
  const body = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200) throw new Error(`floor: tenant answered ${response.statusCode}`);
  if (body.length <= 2) break;
  const next = /<([^>]+)>;\s*rel="next"/.exec(String(response.headers.link))?.[1];
  if (!next) throw new Error("floor: no next link");
  await pending;
  pending = request(logstashUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    dispatcher: agent,
  }).then((answer) => answer.body.dump());
  url = next;
  pages++;
}
await pending;
await agent.close();
process.stdout.write(`${JSON.stringify({ pages })}\n`);
