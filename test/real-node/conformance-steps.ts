// How the conformance cases are written and sent: a case is requests in order (`given` ones not
// compared), `{ds}` a data stream name of the case's own, `{dsfamily}` its template pattern,
// `{p}` a prefix for its templates, so that cases sharing a real node never collide.

import { gzipSync } from "node:zlib";

export interface Step {
  method: string;
  path: string;
  /** JSON, or NDJSON as a string (a _bulk body). */
  body?: unknown;
  gzip?: boolean;
}

export type Product = "opensearch" | "elasticsearch";

export interface Case {
  name: string;
  /** Where the case applies (default: both). Elasticsearch's test distribution lacks GET /, the
   * data stream API and ILM: cases about them are OpenSearch's only. */
  only?: Product;
  /** Sent as this user of the Elasticsearch node (default: a2l-admin). */
  user?: "a2l-admin" | "a2l-writer";
  /** Requests whose answers are not compared (preparation). */
  given?: Step[];
  steps: Step[];
}

/**
 * A data stream template of the case's own: dynamic mappings, or the ones given. Its priority is
 * above the fake Elasticsearch's built-in logs template (100), which the real test distribution
 * lacks, so that the same template applies on both.
 */
export const streamTemplate = (mappings?: Record<string, unknown>, settings = {}): Step => ({
  method: "PUT",
  path: "/_index_template/{p}",
  body: {
    index_patterns: ["{dsfamily}"],
    data_stream: {},
    priority: 200,
    template: {
      settings: { number_of_replicas: 0, ...settings },
      ...(mappings ? { mappings } : {}),
    },
  },
});

/** A _bulk body of `create` actions into the case's data stream. */
export function creates(...documents: [string, unknown][]): string {
  return documents
    .map(
      ([id, source]) =>
        `${JSON.stringify({ create: { _index: "{ds}", _id: id } })}\n${typeof source === "string" ? source : JSON.stringify(source)}\n`,
    )
    .join("");
}

export const at = (fields: Record<string, unknown>) => ({
  "@timestamp": "2026-05-01T00:00:00Z",
  ...fields,
});
export const bulk = (body: string, gzip = false): Step => ({
  method: "POST",
  path: "/_bulk",
  body,
  gzip,
});

/** An object `levels` deep. */
export function deep(levels: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = { d: value };
  return value;
}

/** The body as sent: NDJSON or JSON, gzip-compressed when the step says so. */
export function encode(
  step: Step,
  names: Record<string, string>,
): {
  body: Buffer | undefined;
  headers: Record<string, string>;
} {
  if (step.body === undefined) return { body: undefined, headers: {} };
  const ndjson = typeof step.body === "string";
  const text = substitute(ndjson ? (step.body as string) : JSON.stringify(step.body), names);
  const headers: Record<string, string> = {
    "content-type": ndjson ? "application/x-ndjson" : "application/json",
  };
  if (step.gzip) headers["content-encoding"] = "gzip";
  return { body: step.gzip ? gzipSync(text) : Buffer.from(text), headers };
}

export function substitute(text: string, names: Record<string, string>): string {
  return text.replace(/\{(ds|dsfamily|p)\}/g, (_, key: string) => names[key] as string);
}
