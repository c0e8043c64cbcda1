// The error shapes Elasticsearch and OpenSearch answer with. A client's error handling is only as
// good as the bodies it was tested against, so every refusal in the fake goes through these:
// `{"error":{"root_cause":[...],"type","reason",...},"status"}` for whole requests, the bare
// `{"type","reason",...}` object inside a `_bulk` item.

import type { Flavor } from "./options.ts";
import { endColumn } from "./position.ts";

export type Json = Record<string, unknown>;

export interface EsError {
  type: string;
  reason: string;
  caused_by?: EsError;
  [extra: string]: unknown;
}

export function esError(type: string, reason: string, extra: Json = {}): EsError {
  return { type, reason, ...extra };
}

/** The whole-request body; root_cause repeats the top error without its cause, as ES does. */
export function errorBody(status: number, error: EsError, rootCause?: EsError): Json {
  const { caused_by: _cause, ...root } = rootCause ?? error;
  return { error: { root_cause: [root], ...error }, status };
}

/** Thrown by handlers; the server turns it into the answer. `body` is JSON unless a string. */
export class HttpError extends Error {
  readonly status: number;
  readonly body: Json | string;
  readonly headers: Record<string, string | string[]>;

  constructor(
    status: number,
    body: Json | string,
    headers: Record<string, string | string[]> = {},
  ) {
    super(typeof body === "string" ? body : JSON.stringify(body));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export function fail(status: number, type: string, reason: string, extra: Json = {}): HttpError {
  return new HttpError(status, errorBody(status, esError(type, reason, extra)));
}

export function notFoundIndex(name: string): HttpError {
  return fail(404, "index_not_found_exception", `no such index [${name}]`, {
    "resource.type": "index_or_alias",
    "resource.id": name,
    index_uuid: "_na_",
    index: name,
  });
}

/** `request [/x] contains unrecognized parameter: [y]`, the strictness clients trip on. */
export function checkParams(path: string, query: URLSearchParams, allowed: readonly string[]) {
  const common = ["pretty", "human", "error_trace", "filter_path", "format"];
  for (const key of query.keys()) {
    if (!allowed.includes(key) && !common.includes(key)) {
      throw fail(
        400,
        "illegal_argument_exception",
        `request [${path}] contains unrecognized parameter: [${key}]`,
      );
    }
  }
}

/**
 * A document that failed to parse: ES 8.8+ says document_parsing_exception and prefixes the
 * position in the source ("[1:17] "); OpenSearch (a 7.10 fork) says mapper_parsing_exception
 * and gives no position.
 */
export function docError(
  flavor: Flavor,
  column: number,
  reason: string,
  cause?: EsError,
  type?: string,
): EsError {
  const prefix = flavor.locations ? `[1:${column}] ` : "";
  const error: EsError = { type: type ?? flavor.docErrorType, reason: `${prefix}${reason}` };
  if (cause) error.caused_by = cause;
  return error;
}

/** A data-stream document without exactly one timestamp, in each product's words. */
export function timestampError(flavor: Flavor, field: string, raw: string, seen: number): EsError {
  const column = endColumn(raw);
  if (!flavor.es) {
    const cause = `documents must contain a single-valued timestamp field '${field}' of date type`;
    return docError(
      flavor,
      column,
      "failed to parse",
      esError("illegal_argument_exception", cause),
    );
  }
  const cause =
    seen === 0
      ? `data stream timestamp field [${field}] is missing`
      : `data stream timestamp field [${field}] encountered multiple values`;
  return docError(
    flavor,
    column,
    `failed to parse: ${cause}`,
    esError("illegal_argument_exception", cause),
  );
}

// The privileges ES names when a writer-only role asks for more.
const GRANTED_BY: Record<string, string> = {
  "cluster:admin/ilm/put": "[manage_ilm,manage,all]",
  "cluster:admin/ilm/get": "[read_ilm,manage_ilm,manage,all]",
  "cluster:admin/ilm/delete": "[manage_ilm,manage,all]",
  "indices:admin/data_stream/create": "[create_index,manage,all]",
  "indices:admin/data_stream/delete": "[delete_index,manage,all]",
  "indices:admin/create": "[create_index,manage,all]",
  "indices:admin/delete": "[delete_index,manage,all]",
  "indices:admin/rollover": "[manage,all]",
};

/**
 * A 403 for a privilege the user lacks: ES names the missing privileges (cluster ones, or index
 * ones with the indices), OpenSearch the user.
 */
export function forbidden(flavor: Flavor, action: string, user: string, index?: string): HttpError {
  if (!flavor.es) {
    const who = `User [name=${user}, backend_roles=[], requestedTenant=null]`;
    return fail(403, "security_exception", `no permissions for [${action}] and ${who}`);
  }
  // Index templates are cluster privileges despite their "indices:" action names.
  const onIndex = action.startsWith("indices:") && !action.includes("index_template");
  const granted = GRANTED_BY[action] ?? "[manage_index_templates,manage,all]";
  const where = onIndex ? ` on indices [${index ?? ""}]` : "";
  return fail(
    403,
    "security_exception",
    `action [${action}] is unauthorized for user [${user}] with effective roles [writer]${where}, this action is granted by the ${onIndex ? "index" : "cluster"} privileges ${granted}`,
  );
}

/** A busy node's whole-request refusal; the nth 503 alternates between ES's two usual causes. */
export function overloaded(fault: "429" | "503", bytes: number, nth: number): HttpError {
  if (fault === "429") {
    return fail(
      429,
      "es_rejected_execution_exception",
      `rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=${bytes}, max_coordinating_and_primary_bytes=107374182]`,
    );
  }
  if (nth % 2 === 1) {
    return fail(
      503,
      "unavailable_shards_exception",
      "[logs][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[logs][0]] containing [1] requests]",
    );
  }
  return fail(503, "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/2/no master];");
}

/** A busy or masterless cluster refusing a request other than `_bulk`. */
export function adminOverloaded(fault: "429" | "503", nth: number): HttpError {
  if (fault === "429") {
    return fail(
      429,
      "es_rejected_execution_exception",
      "rejected execution of TimedRunnable on EsThreadPoolExecutor[name = node-1/management, queue capacity = 100]",
    );
  }
  if (nth % 2 === 1)
    return new HttpError(
      503,
      errorBody(503, {
        type: "master_not_discovered_exception",
        reason: null as unknown as string,
      }),
    );
  return fail(503, "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/2/no master];");
}

/** A Java List's toString: `[a, b]`. */
export const javaList = (items: unknown[]) => `[${items.map(String).join(", ")}]`;

/** Java's Map/List toString, which ES uses for "Preview of field's value". */
export function javaString(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(javaString).join(", ")}]`;
  if (typeof value === "object") {
    const parts = Object.entries(value as Json).map(
      ([key, inner]) => `${key}=${javaString(inner)}`,
    );
    return `{${parts.join(", ")}}`;
  }
  return String(value);
}
