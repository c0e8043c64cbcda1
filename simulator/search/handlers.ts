// What each route does once it is reached and allowed. Kept apart from the route table so that
// the table reads as the cluster's API surface, and each answer here can be checked against the
// real one it imitates (GET /<index> by index, _data_stream by stream, _count after refresh...).

import { runBulk } from "./bulk.ts";
import type { Cluster } from "./cluster.ts";
import { flattenSettings, mergeMappings, nestSettings } from "./compose.ts";
import { errorBody, fail, HttpError, type Json, notFoundIndex } from "./errors.ts";
import { globMatch } from "./http.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { type Flavor, nodesInfo, rootInfo, type SearchOptions } from "./options.ts";
import { search as runSearch } from "./search.ts";
import type { TemplateStore } from "./templates.ts";

export interface Reply {
  status: number;
  body?: Json | string;
  items?: number;
  created?: string[];
}

export interface RouteContext {
  flavor: Flavor;
  options: SearchOptions;
  cluster: Cluster;
  templates: TemplateStore;
  lifecycle: Lifecycle;
  query: URLSearchParams;
  method: string;
  text: string;
  args: string[];
  uuid: string;
  itemFault: "item-429" | "item-503" | null;
  /** Who is asking, as authentication named them. */
  user: string;
}

export type Handler = (ctx: RouteContext) => Reply;

const ok = (body: Json, status = 200): Reply => ({ status, body });

function json(ctx: RouteContext): unknown {
  if (ctx.text.trim() === "") return undefined;
  try {
    return JSON.parse(ctx.text);
  } catch (error) {
    throw fail(400, "x_content_parse_exception", `[1:1] ${(error as Error).message}`);
  }
}

/** The indices behind a name or pattern; a missing concrete name is a 404. */
function indices(ctx: RouteContext, name: string) {
  const found = ctx.cluster.resolve(name);
  if (found.length === 0 && !name.includes("*")) throw notFoundIndex(name);
  return found;
}

export const root: Handler = (ctx) => ok(rootInfo(ctx.flavor, ctx.uuid));

export const nodes: Handler = (ctx) => ok(nodesInfo(ctx.flavor, ctx.uuid));

// The fake's writer role (see routes.ts), and what any other user has: everything.
const WRITER_CLUSTER = new Set(["monitor"]);
const WRITER_INDEX = new Set(["create_doc", "auto_configure", "view_index_metadata"]);

/**
 * POST _security/user/_has_privileges: what the caller may do, without trying. With security
 * off (no credentials configured) ES has no _security API: it answers 500.
 */
export const hasPrivileges: Handler = (ctx) => {
  const authenticated =
    ctx.options.basic !== undefined ||
    ctx.options.apiKey !== undefined ||
    ctx.options.bearer !== undefined;
  if (!authenticated) {
    throw fail(
      500,
      "exception",
      "Security must be explicitly enabled when using a [basic] license. Enable security by setting [xpack.security.enabled] to [true] in the elasticsearch.yml file and restart the node.",
    );
  }
  const body = (json(ctx) as Json | undefined) ?? {};
  const writer = ctx.options.privileges === "write-only";
  const cluster: Json = {};
  for (const name of Array.isArray(body.cluster) ? body.cluster.map(String) : []) {
    cluster[name] = !writer || WRITER_CLUSTER.has(name);
  }
  const index: Json = {};
  for (const entry of Array.isArray(body.index) ? (body.index as Json[]) : []) {
    const names = Array.isArray(entry.names) ? entry.names.map(String) : [String(entry.names)];
    const privileges = Array.isArray(entry.privileges) ? entry.privileges.map(String) : [];
    for (const name of names) {
      const granted: Json = {};
      for (const privilege of privileges)
        granted[privilege] = !writer || WRITER_INDEX.has(privilege);
      index[name] = { ...(index[name] as Json | undefined), ...granted };
    }
  }
  const all = [
    ...Object.values(cluster),
    ...Object.values(index).flatMap((v) => Object.values(v as Json)),
  ];
  return ok({
    username: ctx.user,
    has_all_requested: all.every(Boolean),
    cluster,
    index,
    application: {},
  });
};

export const bulk: Handler = (ctx) => {
  const input = {
    flavor: ctx.flavor,
    options: ctx.options,
    cluster: ctx.cluster,
    query: ctx.query,
    pathTarget: ctx.args[0],
    itemFault: ctx.itemFault,
  };
  const result = runBulk(input, ctx.text);
  return { status: 200, body: result.body, items: result.items, created: result.created };
};

export function templates(kind: "index" | "component"): Handler {
  return (ctx) => {
    const [name] = ctx.args;
    if (ctx.method === "GET" || ctx.method === "HEAD") return ok(ctx.templates.get(kind, name));
    if (name === undefined) throw new HttpError(405, "");
    if (ctx.method === "DELETE") {
      ctx.templates.delete(kind, name);
      return ok({ acknowledged: true });
    }
    const create = ctx.query.get("create") === "true";
    if (kind === "index") ctx.templates.putIndex(name, json(ctx), create);
    else ctx.templates.putComponent(name, json(ctx), create);
    return ok({ acknowledged: true });
  };
}

export const ilm: Handler = (ctx) => {
  const [name] = ctx.args;
  if (ctx.method === "GET") return ok(ctx.lifecycle.getIlm(name));
  if (ctx.method === "DELETE") return ok(ctx.lifecycle.deleteIlm(name ?? ""));
  return ok(ctx.lifecycle.putIlm(name ?? "", json(ctx)));
};

export const ism: Handler = (ctx) => {
  const id = ctx.args[0] ?? "";
  if (ctx.method === "GET") return ok(ctx.lifecycle.getIsm(id));
  if (ctx.method === "DELETE") return ok(ctx.lifecycle.deleteIsm(id));
  const [status, body] = ctx.lifecycle.putIsm(id, json(ctx), ctx.query);
  return ok(body, status);
};

/** The indices behind an ISM path argument (names, patterns, data streams), as explain sees them. */
function ismIndices(ctx: RouteContext) {
  // [UNCONFIRMED] which error ISM gives for a missing concrete index: taken to be ES's 404.
  return indices(ctx, ctx.args[0] ?? "").map((one) => ({ name: one.name, uuid: one.uuid }));
}

export const ismExplain: Handler = (ctx) => ok(ctx.lifecycle.explain(ismIndices(ctx)));

export const ismAdd: Handler = (ctx) => ok(ctx.lifecycle.add(ismIndices(ctx), json(ctx)));

/** PUT /<index> creates one (templates apply); GET, HEAD and DELETE act on existing ones. */
export const index: Handler = (ctx) => {
  const name = ctx.args[0] ?? "";
  if (ctx.method === "PUT") {
    if (ctx.cluster.indices.has(name) || ctx.cluster.streams.has(name)) {
      const uuid = ctx.cluster.indices.get(name)?.uuid ?? "_na_";
      throw fail(
        400,
        "resource_already_exists_exception",
        `index [${name}/${uuid}] already exists`,
        {
          index_uuid: uuid,
          index: name,
        },
      );
    }
    const resolved = ctx.templates.resolve(name);
    if (resolved?.timestampField !== undefined) {
      throw fail(
        400,
        "illegal_argument_exception",
        `cannot create index with name [${name}], because it matches with template [${resolved.template}] that creates data streams only, use create data stream api instead`,
      );
    }
    const body = (json(ctx) as Json | undefined) ?? {};
    const mappings = mergeMappings([resolved?.mappings ?? {}, (body.mappings as Json) ?? {}]);
    const settings = { ...resolved?.settings, ...flattenSettings(body.settings) };
    const created = ctx.cluster.createIndex(name, mappings, settings);
    if ("reason" in created) throw new HttpError(400, errorBody(400, created));
    return ok({ acknowledged: true, shards_acknowledged: true, index: name });
  }
  const found = indices(ctx, name);
  if (ctx.method === "DELETE") {
    for (const one of found) {
      if (one.dataStream) {
        throw fail(
          400,
          "illegal_argument_exception",
          `index [${one.name}] is the write index for data stream [${one.dataStream}] and cannot be deleted`,
        );
      }
      ctx.cluster.indices.delete(one.name);
    }
    return ok({ acknowledged: true });
  }
  const out: Json = {};
  for (const one of found) {
    const settings = { ...one.settings, "index.uuid": one.uuid, "index.provided_name": one.name };
    out[one.name] = {
      aliases: {},
      mappings: one.mapping.toJSON(),
      settings: nestSettings(settings),
      ...(one.dataStream ? { data_stream: one.dataStream } : {}),
    };
  }
  return ok(out);
};

export const dataStreams: Handler = (ctx) => {
  const [name] = ctx.args;
  if (ctx.method === "PUT") {
    if (name === undefined) throw new HttpError(405, "");
    if (ctx.cluster.streams.has(name)) {
      throw fail(400, "resource_already_exists_exception", `data_stream [${name}] already exists`);
    }
    if (!ctx.cluster.createDataStream(name)) {
      const reason = `no matching index template found for data stream [${name}]`;
      throw fail(400, "illegal_argument_exception", reason);
    }
    return ok({ acknowledged: true });
  }
  const wanted = (stream: string) =>
    name === undefined || name.split(",").some((one) => globMatch(one, stream));
  const streams = [...ctx.cluster.streams.values()].filter((stream) => wanted(stream.name));
  if (name !== undefined && !name.includes("*") && streams.length === 0) throw notFoundIndex(name);
  if (ctx.method === "DELETE") {
    for (const stream of streams) {
      for (const backing of stream.indices) ctx.cluster.indices.delete(backing);
      ctx.cluster.streams.delete(stream.name);
    }
    return ok({ acknowledged: true });
  }
  return ok({ data_streams: streams.map((stream) => ctx.cluster.dataStreamInfo(stream)) });
};

/** POST /<data stream>/_rollover: a new write index (plain indices need an alias: not faked). */
export const rollover: Handler = (ctx) => {
  const name = ctx.args[0] ?? "";
  const stream = ctx.cluster.streams.get(name);
  if (!stream) {
    if (ctx.cluster.indices.has(name)) {
      const reason = `rollover target [${name}] does not point to a write index or a data stream`;
      throw fail(400, "illegal_argument_exception", reason);
    }
    // Checked on OpenSearch 2.19.6 (400) and Elasticsearch 8.19.8 (404).
    const reason = `rollover target [${name}] does not exist`;
    if (ctx.flavor.es) throw fail(404, "resource_not_found_exception", reason);
    throw fail(400, "illegal_argument_exception", reason);
  }
  const { oldIndex, newIndex } = ctx.cluster.rollover(stream);
  return ok({
    acknowledged: true,
    shards_acknowledged: true,
    old_index: oldIndex,
    new_index: newIndex,
    rolled_over: true,
    dry_run: false,
    ...(ctx.flavor.es ? { lazy: false } : {}),
    conditions: {},
  });
};

export const count: Handler = (ctx) => {
  const found = indices(ctx, ctx.args[0] ?? "");
  const total = found.reduce((sum, one) => sum + ctx.cluster.visibleCount(one), 0);
  return ok({ count: total, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } });
};

export const search: Handler = (ctx) => ok(runSearch(ctx.cluster, ctx.args[0] ?? "", json(ctx)));

export const mapping: Handler = (ctx) => {
  const out: Json = {};
  for (const one of indices(ctx, ctx.args[0] ?? ""))
    out[one.name] = { mappings: one.mapping.toJSON() };
  return ok(out);
};

export const refresh: Handler = (ctx) => {
  const found = indices(ctx, ctx.args[0] ?? "");
  ctx.cluster.refresh(found);
  return ok({ _shards: { total: found.length * 2, successful: found.length, failed: 0 } });
};

export const health: Handler = (ctx) =>
  ok({
    cluster_name: ctx.flavor.es ? "docker-cluster" : "opensearch-cluster",
    status: "green",
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: ctx.cluster.indices.size,
    active_shards: ctx.cluster.indices.size,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100.0,
  });
