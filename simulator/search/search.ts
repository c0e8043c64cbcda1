// `_search` as `verify` uses it: an ids query, or a terms query on one field, over a data stream,
// index or pattern; `_source` false or a list of fields; `size`. A document is found once the
// index's refresh shows it (explicit, or the 1 s periodic one), as on a real node. Other queries
// answer 400 as an unsupported fake, not as the real cluster would.

import type { Cluster, IndexState, StoredDoc } from "./cluster.ts";
import { fail, type Json } from "./errors.ts";

const REFRESH_MS = 1_000;

function visible(index: IndexState, doc: StoredDoc & { at?: number }): boolean {
  const tick = Math.floor(Date.now() / REFRESH_MS) * REFRESH_MS;
  const at = doc.at ?? 0;
  return at < tick || at <= (index.refreshedAt ?? 0);
}

function fieldValue(source: Json, field: string): unknown {
  if (source === null || typeof source !== "object" || Array.isArray(source)) return undefined;
  const record = source as Record<string, unknown>;
  if (field in record) return record[field];
  let value: unknown = source;
  for (const part of field.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function pick(source: Json, fields: string[]): Json {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = fieldValue(source, field);
    if (value !== undefined) out[field] = value;
  }
  return out as Json;
}

export function search(cluster: Cluster, target: string, body: unknown): Json {
  const request = (body ?? {}) as {
    size?: number;
    _source?: boolean | string[];
    query?: { ids?: { values?: unknown }; terms?: Record<string, unknown> };
  };
  const size = typeof request.size === "number" ? request.size : 10;
  if (size > 10_000) {
    throw fail(
      400,
      "illegal_argument_exception",
      `Result window is too large, from + size must be less than or equal to: [10000] but was [${size}].`,
    );
  }
  let match: (id: string, doc: StoredDoc) => boolean;
  const ids = request.query?.ids?.values;
  const terms = request.query?.terms;
  if (Array.isArray(ids)) {
    const wanted = new Set(ids.map(String));
    match = (id) => wanted.has(id);
  } else if (terms && Object.keys(terms).length === 1) {
    const [field, values] = Object.entries(terms)[0] as [string, unknown];
    if (!Array.isArray(values))
      throw fail(400, "parsing_exception", "[terms] query needs an array");
    const wanted = new Set(values.map(String));
    match =
      field === "_id"
        ? (id) => wanted.has(id)
        : (_id, doc) => {
            const value = fieldValue(doc.source, field);
            return (Array.isArray(value) ? value : [value]).some(
              (one) => typeof one === "string" && wanted.has(one),
            );
          };
  } else {
    throw fail(400, "parsing_exception", "the fake's _search knows only ids and terms queries");
  }
  const hits: Json[] = [];
  for (const index of cluster.resolve(target)) {
    for (const [id, doc] of index.docs) {
      if (hits.length >= size) break;
      if (!visible(index, doc) || !match(id, doc)) continue;
      const source = request._source;
      hits.push({
        _index: index.name,
        _id: id,
        _score: 1,
        ...(source === false
          ? {}
          : { _source: Array.isArray(source) ? pick(doc.source, source) : doc.source }),
      });
    }
  }
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: { max_score: hits.length > 0 ? 1 : null, hits },
  };
}
