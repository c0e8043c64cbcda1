// Which Auth0 log ids an index holds, for `verify`: a `_search` on the data stream or index pattern
// with an ids query (the sink and the recommended Logstash pipeline write each event with its
// log_id as document id) or a terms query on the field that holds the log id, no _source, in
// batches of at most 1 000 ids. Reads only: it needs the read privilege, which a writer lacks.

import { SinkError } from "../../errors.ts";
import type { SendContext } from "../../interfaces.ts";
import { JsonInputError, parseBoundedJson } from "../../util/bounded-json.ts";
import { retryFor, withRetry } from "../../util/retry.ts";
import { ClusterClient } from "./service.ts";

/** Ids in one search: well under index.max_terms_count (65 536) and max_result_window (10 000). */
export const LOOKUP_BATCH = 1000;
/**
 * Hits one search may return: an id can be in several backing indices (a re-send after a
 * rollover indexes it again), so more than one hit per id; still within max_result_window.
 */
const HITS_PER_ID = 3;

/** `a.b.c` of a document's _source, as Elasticsearch reads a dotted field name. */
function valueAt(source: unknown, field: string): unknown {
  if (source === null || typeof source !== "object") return undefined;
  // A flattened key ("event.id" at the top) is the same field to Elasticsearch.
  if (field in source) return (source as Record<string, unknown>)[field];
  let value: unknown = source;
  for (const part of field.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export class IndexLookup {
  private readonly client: ClusterClient;
  /** The data stream, index or pattern (comma-separated) searched. */
  readonly target: string;
  /** `_id`, or the field holding the log id (`log_id`, `event.id`). */
  readonly idField: string;

  constructor(client: ClusterClient, target: string, idField = "_id") {
    this.client = client;
    this.target = target;
    this.idField = idField;
  }

  /** Closes the client's connections (a client of its own: the Logstash sink's lookup). */
  async close(): Promise<void> {
    await this.client.close();
  }

  /** Those of `ids` the target holds (searchable now: after the index's refresh). */
  async present(ids: string[], context: SendContext): Promise<Set<string>> {
    const found = new Set<string>();
    for (let start = 0; start < ids.length; start += LOOKUP_BATCH) {
      const batch = ids.slice(start, start + LOOKUP_BATCH);
      for (const id of await this.search(batch, context)) found.add(id);
    }
    return found;
  }

  private async search(ids: string[], context: SendContext): Promise<string[]> {
    const byId = this.idField === "_id";
    const body = {
      size: ids.length * HITS_PER_ID,
      track_total_hits: false,
      _source: byId ? false : [this.idField],
      query: byId ? { ids: { values: ids } } : { terms: { [this.idField]: ids } },
    };
    const what = `verify: searching ${this.target} on ${this.client.shown}`;
    const answer = await withRetry(
      async () => {
        const got = await this.client.request({
          method: "POST",
          // A pattern that matches nothing yet, or an index deleted: no hits, not an error.
          path: `/${this.target}/_search?ignore_unavailable=true&allow_no_indices=true&filter_path=hits.hits._id,hits.hits._source`,
          body: JSON.stringify(body),
          signal: context.signal,
        });
        if (got.status === 403) {
          throw new SinkError(
            `${what}: the cluster refused (403): verify needs the read privilege on ${this.target}, which a writer role (create_doc) lacks`,
            { retryable: false, status: 403 },
          );
        }
        ClusterClient.judge(got, what);
        return got;
      },
      retryFor("sink", context),
    );
    let parsed: { hits?: { hits?: { _id?: unknown; _source?: unknown }[] } };
    try {
      // At most 3 000 hits of an id each: a few hundred KiB, and the client caps answers at 16 MiB.
      parsed = parseBoundedJson(answer.body, 16) as typeof parsed;
    } catch (error) {
      if (!(error instanceof JsonInputError)) throw error;
      throw new SinkError(`${what}: the answer is ${error.message}`, { retryable: false });
    }
    const hits = Array.isArray(parsed?.hits?.hits) ? parsed.hits.hits : [];
    const asked = new Set(ids);
    const out: string[] = [];
    for (const hit of hits) {
      const value = byId ? hit?._id : valueAt(hit?._source, this.idField);
      const id = Array.isArray(value) ? value[0] : value;
      if (typeof id === "string" && asked.has(id)) out.push(id);
    }
    return out;
  }
}
