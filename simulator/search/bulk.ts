// `_bulk`, the one request an exporter cannot do without, with both of its failure levels: the
// whole request refused (no trailing newline, a malformed action line, an item without an index)
// before anything is applied, and per-item outcomes in request order inside a 200 (201 created,
// 409 already there, 400 unparseable, and the injected 429/503 items, which are not applied).

import { Cluster } from "./cluster.ts";
import { docError, type EsError, esError, fail, type Json } from "./errors.ts";
import { parseItems, validate } from "./ndjson.ts";
import type { Flavor, SearchOptions } from "./options.ts";
import { columnOf } from "./position.ts";

export interface BulkInput {
  flavor: Flavor;
  options: SearchOptions;
  cluster: Cluster;
  query: URLSearchParams;
  pathTarget: string | undefined;
  itemFault: "item-429" | "item-503" | null;
}

export interface BulkResult {
  body: Json;
  created: string[];
  items: number;
}

// Sources of documents that are not kept (keepDocuments: false) share one frozen object.
const EMPTY: Json = Object.freeze({}) as Json;

export function runBulk(input: BulkInput, text: string): BulkResult {
  const started = Date.now();
  const { flavor, cluster, query } = input;
  const items = parseItems(text);
  validate(items, input.pathTarget);
  const refresh = query.get("refresh");
  if (refresh !== null && !["", "true", "false", "wait_for"].includes(refresh)) {
    throw fail(400, "illegal_argument_exception", `Unknown value for refresh: [${refresh}].`);
  }
  const refreshes = refresh === "" || refresh === "true" || refresh === "wait_for";
  if (flavor.aoss && refreshes) {
    throw fail(
      400,
      "status_exception",
      `${refresh === "wait_for" ? "wait_for" : "true"} refresh policy is not supported.`,
    );
  }
  const created: string[] = [];
  const touched = new Set<ReturnType<Cluster["resolve"]>[number]>();
  const answers = items.map((item, position) => {
    const target = String(item.meta._index ?? input.pathTarget);
    const clientId = item.meta._id === undefined ? undefined : String(item.meta._id);
    const id = clientId ?? Cluster.newId();
    const failed = (status: number, error: EsError, index = target) => ({
      [item.op]: { _index: index, _id: id, status, error },
    });
    if (
      flavor.timeseries &&
      clientId !== undefined &&
      (item.op === "create" || item.op === "index")
    ) {
      return failed(
        400,
        esError(
          "illegal_argument_exception",
          "Document ID is not supported in create/index operation request",
        ),
      );
    }
    const existed = cluster.streams.has(target) || cluster.indices.has(target);
    const resolved = cluster.writeIndex(target);
    if ("reason" in resolved) return failed(400, resolved);
    const { index, stream } = resolved;
    const shardInfo = { index_uuid: index.uuid, shard: "0", index: index.name };
    if (stream && item.op !== "create") {
      // Elasticsearch (checked on 8.19.8) adds why, when this write was to make the stream.
      const cause =
        flavor.es && !existed
          ? { caused_by: esError("index_not_found_exception", `no such index [${target}]`) }
          : {};
      return failed(
        400,
        esError(
          "illegal_argument_exception",
          "only write ops with an op_type of create are allowed in data streams",
          cause,
        ),
      );
    }
    if (item.op === "update" || item.op === "delete") {
      return failed(
        400,
        esError(
          "illegal_argument_exception",
          `[${item.op}] is not supported by this fake cluster, only create and index are`,
        ),
        index.name,
      );
    }
    if (input.itemFault && position % 2 === 0) {
      const bytes = Buffer.byteLength(item.source ?? "");
      return input.itemFault === "item-429"
        ? failed(
            429,
            esError(
              "es_rejected_execution_exception",
              `rejected execution of primary operation [coordinating_and_primary_bytes=${bytes}, replica_bytes=0, all_bytes=${bytes}, primary_operation_bytes=${bytes}, max_coordinating_and_primary_bytes=107374182]`,
            ),
            index.name,
          )
        : failed(
            503,
            esError(
              "unavailable_shards_exception",
              `[${index.name}][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[${index.name}][0]] containing [${items.length}] requests]`,
              shardInfo,
            ),
            index.name,
          );
    }
    const pipeline = item.meta.pipeline ?? query.get("pipeline");
    if (pipeline !== undefined && pipeline !== null && pipeline !== "_none") {
      return failed(
        400,
        esError(
          "illegal_argument_exception",
          `pipeline with id [${String(pipeline)}] does not exist`,
        ),
        index.name,
      );
    }
    const raw = item.source ?? "";
    let source: unknown;
    try {
      source = JSON.parse(raw);
    } catch (error) {
      const message = (error as Error).message;
      const cause = esError("json_parse_exception", message);
      if (!flavor.es) {
        return failed(400, docError(flavor, 1, "failed to parse", cause), index.name);
      }
      // Elasticsearch (checked on 8.19.8) repeats the parser's words, wrapped once more.
      const column = Number(/column (\d+)/.exec(message)?.[1] ?? 1);
      const parse = esError("x_content_parse_exception", `[1:${column}] ${message}`, {
        caused_by: cause,
      });
      return failed(
        400,
        docError(flavor, 1, `failed to parse: ${parse.reason}`, parse),
        index.name,
      );
    }
    if (source === null || typeof source !== "object" || Array.isArray(source)) {
      return failed(
        400,
        docError(flavor, columnOf(raw, []), "Malformed content, must start with an object"),
        index.name,
      );
    }
    const parsed = input.options.skipMapping
      ? { ok: true as const, updates: new Map<string, Json>() }
      : index.mapping.parse(source as Json, id, raw);
    if (!parsed.ok) return failed(400, parsed.error, index.name);
    const existing = index.docs.get(id);
    if (existing && item.op === "create") {
      const reason = `[${id}]: version conflict, document already exists (current version [${existing.version}])`;
      return failed(
        409,
        esError("version_conflict_engine_exception", reason, shardInfo),
        index.name,
      );
    }
    if (parsed.updates.size > 0) index.mapping.commit(parsed.updates);
    const stored = {
      source: input.options.keepDocuments === false ? EMPTY : (source as Json),
      version: (existing?.version ?? 0) + 1,
      seqNo: index.seqNo++,
      at: Date.now(),
    };
    index.docs.set(id, stored);
    if (!existing) {
      cluster.recordCreated(index, id);
      created.push(id);
    }
    touched.add(index);
    return {
      [item.op]: {
        _index: index.name,
        _id: id,
        _version: stored.version,
        result: existing ? "updated" : "created",
        ...(refreshes ? { forced_refresh: true } : {}),
        _shards: { total: 2, successful: 1, failed: 0 },
        _seq_no: stored.seqNo,
        _primary_term: 1,
        status: existing ? 200 : 201,
      },
    };
  });
  if (refreshes) cluster.refresh([...touched]);
  const errors = answers.some((answer) => Object.values(answer)[0]?.status >= 300);
  return {
    body: { took: Date.now() - started, errors, items: answers },
    created,
    items: items.length,
  };
}
