// What the cluster holds under the target's name, and what the exporter's user may do with it:
// a data stream, a plain index (where a data stream was meant: made by a write before any
// template made it a data stream, it keeps dynamic mappings and our template never applies to
// it), nothing yet, or unknown (the user may not look). `check`, `setup` and the sink's first
// write ask here, so that each tells the same thing in the same words.

import { SinkError } from "../../errors.ts";
import { parseBoundedJson } from "../../util/bounded-json.ts";
import type { HttpAnswer } from "../../util/http.ts";
import type { ElasticsearchConfig } from "./config.ts";
import { ClusterClient, errorReason } from "./service.ts";

export type TargetState =
  | { kind: "data stream"; indices: string[] }
  | { kind: "plain index" }
  | { kind: "absent" }
  | { kind: "unknown"; why: string };

type Target = Pick<ElasticsearchConfig, "index" | "dataStream">;

function refusal(answer: HttpAnswer): string {
  return `${answer.status} ${errorReason(answer.body)}`;
}

/** Whether the target exists, and as what; never throws for a refusal (403): "unknown". */
export async function targetState(
  client: ClusterClient,
  target: string,
  signal?: AbortSignal,
): Promise<TargetState> {
  const path = `/_data_stream/${encodeURIComponent(target)}`;
  const stream = await client.request({ method: "GET", path, signal });
  if (stream.status === 401 || stream.status === 403) {
    return { kind: "unknown", why: `GET /_data_stream/${target}: ${refusal(stream)}` };
  }
  if (stream.status !== 404) {
    ClusterClient.judge(stream, `GET /_data_stream/${target}`);
    const body = parseBoundedJson(stream.body, 16) as {
      data_streams?: { name?: unknown; indices?: { index_name?: unknown }[] }[];
    };
    const found = body.data_streams?.find((one) => one.name === target);
    if (found) {
      const indices = (found.indices ?? [])
        .map((index) => index.index_name)
        .filter((name): name is string => typeof name === "string");
      return { kind: "data stream", indices };
    }
  }
  const index = await client.request({
    method: "HEAD",
    path: `/${encodeURIComponent(target)}`,
    signal,
  });
  if (index.status === 404) return { kind: "absent" };
  if (index.status === 401 || index.status === 403) {
    return { kind: "unknown", why: `HEAD /${target}: ${index.status}` };
  }
  ClusterClient.judge(index, `HEAD /${target}`);
  return { kind: "plain index" };
}

/** The one explanation of a plain index where the data stream should be, and the way out. */
export function plainIndexProblem(target: string): string {
  return `${target} exists as a plain index, not a data stream: a write created it before any index template made it a data stream (ELASTICSEARCH_SETUP=off, or setup run later), so it has dynamic mappings and the exporter's index template never applies to it. The exporter keeps writing into it. To turn it into the data stream: stop the exporter, run setup, copy it aside (POST _reindex into auth0-rescue), delete it, copy it back with op_type create (which creates the data stream from the template), delete the copy, start the exporter again; see README "A plain index where a data stream should be"`;
}

/** True when the target is meant to be a data stream and is a plain index. */
export function isMisplacedIndex(config: Target, state: TargetState): boolean {
  return config.dataStream !== null && state.kind === "plain index";
}

/**
 * Before the first write with ELASTICSEARCH_SETUP=off: a write to a data-stream name that does
 * not exist yet creates a plain index when no template makes it a data stream (OpenSearch has no
 * built-in one), which no later setup can repair. So the data stream is created explicitly,
 * from whatever template matches: refused when none does. Returns a warning when this cannot be
 * verified (the user may not look or create), undefined when all is well; throws when the write
 * would make a plain index.
 */
export async function guardDataStream(
  client: ClusterClient,
  config: Target,
  product: "elasticsearch" | "opensearch",
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (config.dataStream === null) return undefined;
  const state = await targetState(client, config.index, signal);
  if (state.kind === "data stream") return undefined;
  if (state.kind === "plain index") return plainIndexProblem(config.index);
  // Elasticsearch's built-in logs template makes every logs-*-* a data stream: a user who may
  // not look or create is no reason to warn there.
  const unverified = (why: string) =>
    product === "elasticsearch"
      ? undefined
      : `cannot verify that a write to ${config.index} creates a data stream (${why}); if no index template makes it one, the first write creates a plain index: run setup first (with a user who may manage templates)`;
  if (state.kind === "unknown") return unverified(state.why);
  const path = `/_data_stream/${encodeURIComponent(config.index)}`;
  const created = await client.request({ method: "PUT", path, signal });
  if (created.status === 401 || created.status === 403) {
    return unverified(`PUT /_data_stream/${config.index}: ${refusal(created)}`);
  }
  const reason = errorReason(created.body);
  if (created.status === 400 && /no matching index template/.test(reason)) {
    throw new SinkError(
      `no index template makes ${config.index} a data stream on this cluster, so the first write would create a plain index with dynamic mappings that no later setup can fix: run setup first (with a user who may manage templates), or set ELASTICSEARCH_SETUP=auto`,
      { retryable: false, status: 400 },
    );
  }
  // Made meanwhile by another writer: fine, whatever it is, it is looked at next time.
  if (created.status === 400 && /already exists/.test(reason)) return undefined;
  ClusterClient.judge(created, `PUT /_data_stream/${config.index}`);
  return undefined;
}

/** Privileges this sink needs on the target and the cluster, as Elasticsearch names them. */
const WRITE = ["create_doc", "auto_configure"] as const;
const MANAGE = ["manage_index_templates", "manage_ilm"] as const;

export interface Privileges {
  /** Index privileges the user lacks on the target (create_doc, auto_configure). */
  write: string[];
  /** Cluster privileges the user lacks for setup. */
  manage: string[];
}

/**
 * What the user may do, without trying: Elasticsearch's _has_privileges, which any
 * authenticated user may ask about themselves. Null when it cannot tell (OpenSearch has no such
 * API; Elasticsearch without security has no _security API at all).
 */
export async function privileges(
  client: ClusterClient,
  target: string,
  signal?: AbortSignal,
): Promise<Privileges | null> {
  const answer = await client.request({
    method: "POST",
    path: "/_security/user/_has_privileges",
    body: JSON.stringify({
      cluster: MANAGE,
      index: [{ names: [target], privileges: WRITE }],
    }),
    signal,
  });
  if (answer.status !== 200) return null;
  const body = parseBoundedJson(answer.body, 16) as {
    cluster?: Record<string, unknown>;
    index?: Record<string, Record<string, unknown>>;
  };
  const granted = body.index?.[target] ?? {};
  return {
    write: WRITE.filter((name) => granted[name] !== true),
    manage: MANAGE.filter((name) => body.cluster?.[name] !== true),
  };
}

/**
 * Indices of the target that no ISM policy manages (OpenSearch): ISM attaches a policy only when
 * an index is created, so indices made before the policy (or before its ism_template matched
 * them) are never rolled over or deleted until attached. Null when the user may not look.
 */
export async function unmanagedIndices(
  client: ClusterClient,
  state: TargetState,
  config: Target,
  signal?: AbortSignal,
): Promise<string[] | null> {
  const names =
    state.kind === "data stream"
      ? state.indices
      : state.kind === "plain index" && config.dataStream === null
        ? [config.index]
        : [];
  if (names.length === 0) return [];
  const path = `/_plugins/_ism/explain/${names.map(encodeURIComponent).join(",")}`;
  const answer = await client.request({ method: "GET", path, signal });
  if (answer.status === 401 || answer.status === 403) return null;
  ClusterClient.judge(answer, "GET /_plugins/_ism/explain");
  const body = parseBoundedJson(answer.body, 16) as Record<string, Record<string, unknown>>;
  return names.filter((name) => {
    const policy = body[name]?.["index.plugins.index_state_management.policy_id"];
    return typeof policy !== "string" || policy === "";
  });
}

/** Attaches the ISM policy to indices made before it; returns those attached. */
export async function attachPolicy(
  client: ClusterClient,
  indices: string[],
  policyId: string,
  signal?: AbortSignal,
): Promise<string[]> {
  if (indices.length === 0) return [];
  const path = `/_plugins/_ism/add/${indices.map(encodeURIComponent).join(",")}`;
  const answer = await client.request({
    method: "POST",
    path,
    body: JSON.stringify({ policy_id: policyId }),
    signal,
  });
  ClusterClient.judge(answer, "POST /_plugins/_ism/add");
  const body = parseBoundedJson(answer.body, 16) as {
    failed_indices?: { index_name?: unknown }[];
  };
  const failed = new Set((body.failed_indices ?? []).map((one) => one.index_name));
  return indices.filter((name) => !failed.has(name));
}
