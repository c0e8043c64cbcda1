// The floor into a cluster: the least any exporter into Elasticsearch/OpenSearch must do. It moves
// the backlog from the simulator to the fake cluster with one request in flight on each side, as
// bench/floor.ts does into Logstash, but a `_bulk` body needs one document per event: each page is
// parsed, and each event written as a `create` action with its log_id and the event as it came
// (less `_id`, which a source may not hold), uncompressed, into a plain index. The answer is not
// read. The Elasticsearch sink's throughput is also reported as a share of this floor.
// Usage: node bench/floor-bulk.ts TENANT_URL CLUSTER_URL FROM TOKEN (A2L_FLOOR_INDEX names the
// index, auth0-floor by default: runs into one real node each need their own)

import { relay, sinkUrl } from "./floor-pages.ts";

const index = process.env.A2L_FLOOR_INDEX ?? "auth0-floor";

await relay((page) => {
  let body = "";
  for (const event of JSON.parse(page.toString()) as Record<string, unknown>[]) {
    event._id = undefined;
    body += `{"create":{"_id":"${event.log_id}"}}\n${JSON.stringify(event)}\n`;
  }
  return { url: `${sinkUrl}/${index}/_bulk`, contentType: "application/x-ndjson", body };
});
