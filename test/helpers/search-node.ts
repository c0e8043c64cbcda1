// The real OpenSearch node the suite runs against (scripts/search-node): its URL from
// A2L_TEST_OPENSEARCH_URL (CI starts it once and exports it), or started here through the same
// script, so that `npm test` on a fresh machine runs everything. Never skipped: a node that does
// not come up fails the test that needs it, with the script's message and the node's log tail.
// A node started here keeps running after the tests (`scripts/search-node stop` ends it).
//
// Tests share the node and never collide: each writes to a data stream of its own
// (`uniqueTarget`), whose templates cover only its own names.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { request } from "undici";

const SCRIPT = fileURLToPath(new URL("../../scripts/search-node", import.meta.url));

export type NodeProduct = "opensearch" | "elasticsearch";

const started = new Map<NodeProduct, Promise<string>>();

function startNode(product: NodeProduct): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      SCRIPT,
      ["start", product],
      { timeout: 900_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const url = stdout.trim().split("\n").at(-1) ?? "";
        if (error || !/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
          reject(new Error(`scripts/search-node start ${product} failed:\n${stderr}${stdout}`));
        } else resolve(url);
      },
    );
  });
}

/**
 * The node's URL (no trailing slash), from A2L_TEST_OPENSEARCH_URL (A2L_TEST_ELASTICSEARCH_URL);
 * started here when none is given, unless A2L_REQUIRE_OPENSEARCH=1 (…_ELASTICSEARCH=1) says CI
 * started it and a missing URL is a failure. The Elasticsearch node answers its users only
 * (ELASTIC_ADMIN, ELASTIC_WRITER).
 */
export function searchNodeUrl(product: NodeProduct = "opensearch"): Promise<string> {
  let url = started.get(product);
  if (!url) {
    url = (async () => {
      const suffix = product.toUpperCase();
      const given = process.env[`A2L_TEST_${suffix}_URL`];
      if (given) return given.replace(/\/$/, "");
      if (process.env[`A2L_REQUIRE_${suffix}`] === "1") {
        throw new Error(
          `A2L_REQUIRE_${suffix}=1 but A2L_TEST_${suffix}_URL is not set: .ci/run starts the node (scripts/search-node start ${product}) and exports its URL`,
        );
      }
      return startNode(product);
    })();
    started.set(product, url);
  }
  return url;
}

/** The Elasticsearch node's users (scripts/search-node): a superuser, and one who may only write. */
export const ELASTIC_ADMIN = { user: "a2l-admin", password: "a2l-admin-pw" };
export const ELASTIC_WRITER = { user: "a2l-writer", password: "a2l-writer-pw" };

export interface NodeAnswer {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

/** One request to the node, its answer parsed when it is JSON. */
export async function node(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<NodeAnswer> {
  const url = await searchNodeUrl();
  const ndjson = typeof body === "string";
  const response = await request(`${url}${path}`, {
    method: method as "GET",
    headers: {
      ...(body === undefined
        ? {}
        : { "content-type": ndjson ? "application/x-ndjson" : "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : ndjson ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {}
  return { status: response.statusCode, json, text };
}

/**
 * A data stream name of the test's own, logs-<dataset>-default: a dataset of fixed length, so that
 * no other test's template pattern (logs-<dataset>-*) overlaps it.
 */
export function uniqueTarget(label: string): string {
  return `logs-a2l.${label}.${randomBytes(4).toString("hex")}-default`;
}

/** How many documents each _id has in the target (all backing indices), after a refresh. */
export async function idCounts(target: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const refreshed = await node("POST", `/${target}/_refresh`);
  if (refreshed.status === 404) return counts;
  // A scroll: a target may hold more than one search's 10 000 hits.
  let page = await node("POST", `/${target}/_search?scroll=1m`, {
    size: 10_000,
    _source: false,
    sort: ["_doc"],
  });
  for (;;) {
    if (page.status !== 200) throw new Error(`_search ${target}: ${page.status} ${page.text}`);
    const hits = (page.json.hits as { hits: { _id: string }[] }).hits;
    for (const hit of hits) counts.set(hit._id, (counts.get(hit._id) ?? 0) + 1);
    if (hits.length === 0) break;
    page = await node("POST", "/_search/scroll", { scroll: "1m", scroll_id: page.json._scroll_id });
  }
  await node("DELETE", "/_search/scroll", { scroll_id: page.json._scroll_id });
  return counts;
}

/** _count of the target after a refresh (0 when it does not exist). */
export async function countOf(target: string): Promise<number> {
  const refreshed = await node("POST", `/${target}/_refresh`);
  if (refreshed.status === 404) return 0;
  const answer = await node("GET", `/${target}/_count`);
  if (answer.status !== 200) throw new Error(`_count ${target}: ${answer.status} ${answer.text}`);
  return answer.json.count as number;
}

/** One document's source, by id, from whichever backing index holds it. */
export async function sourceOf(target: string, id: string): Promise<Record<string, unknown>> {
  await node("POST", `/${target}/_refresh`);
  const found = await node("POST", `/${target}/_search`, { query: { ids: { values: [id] } } });
  const hit = (found.json.hits as { hits: { _source: Record<string, unknown> }[] }).hits[0];
  if (!hit) throw new Error(`${id} is not in ${target}`);
  return hit._source;
}

export interface FaultProxy {
  url: string;
  /** The next `count` _bulk requests are answered 503 by the proxy, never reaching the node. */
  failNext(count: number): void;
  /**
   * Called when the node has answered a _bulk (its documents are indexed), before the answer is
   * passed on: the instant between a send and the exporter hearing of it.
   */
  onBulkAnswer: (() => void) | undefined;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the node that can fail whole _bulk requests, as the fake's
 * failNext("503") does: the one fault a healthy real node will not produce on demand.
 */
export async function faultProxy(): Promise<FaultProxy> {
  const target = new URL(await searchNodeUrl());
  let failing = 0;
  const proxy: FaultProxy = {
    url: "",
    onBulkAnswer: undefined,
    failNext(count) {
      failing += count;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    if (failing > 0 && (req.url ?? "").split("?")[0]?.endsWith("/_bulk")) {
      failing--;
      req.resume();
      res.writeHead(503, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { type: "unavailable_shards_exception", reason: "failed by the test's proxy" },
          status: 503,
        }),
      );
      return;
    }
    const bulk = (req.url ?? "").split("?")[0]?.endsWith("/_bulk") === true;
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        if (bulk) proxy.onBulkAnswer?.();
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  proxy.url = `http://127.0.0.1:${port}`;
  return proxy;
}
