// The REST API surface of the fake and how a path finds its route. Like ES's PathTrie: a path no
// route has answers 400 "no handler found" (a flat string, not an error object), a path whose
// routes lack the method answers 405 with the allowed ones, and a single segment is an index name
// (so GET /missing is a 404 index_not_found_exception). Each product only has its own lifecycle
// API, Amazon OpenSearch Serverless answers an empty 404 for the APIs it lacks, and Elastic
// Serverless a 410 api_not_available_exception (elastic/elasticsearch#97397).

import { fail, HttpError } from "./errors.ts";
import * as handlers from "./handlers.ts";
import type { Flavor } from "./options.ts";

export interface Route {
  name: string;
  /** Method → the privilege action a write-only user lacks (undefined: any user may). */
  methods: Record<string, string | undefined>;
  /** Query parameters accepted besides the common ones (pretty, filter_path...). */
  params: string[];
  handle: handlers.Handler;
}

const TEMPLATE = ["master_timeout", "timeout", "create", "cause", "flat_settings", "local"];
const BULK = ["refresh", "pipeline", "routing", "timeout", "wait_for_active_shards"];
const BULK_MORE = ["require_alias", "require_data_stream", "_source", "_source_includes"];
const BULK_REST = ["_source_excludes", "list_executed_pipelines", "include_source_on_error"];
const WILDCARDS = ["ignore_unavailable", "allow_no_indices", "expand_wildcards"];
const STREAM = ["expand_wildcards", "include_defaults", "verbose", "master_timeout", "timeout"];

function route(
  name: string,
  methods: Record<string, string | undefined>,
  params: string[],
  handle: handlers.Handler,
): Route {
  return { name, methods, params, handle };
}

/** Privilege actions as ES and OpenSearch name them in their 403s. */
function admin(prefix: string, get: string, put: string, remove: string) {
  return {
    GET: `${prefix}/${get}`,
    HEAD: `${prefix}/${get}`,
    PUT: `${prefix}/${put}`,
    POST: `${prefix}/${put}`,
    DELETE: `${prefix}/${remove}`,
  };
}

/** Every route, by the pattern of its path ("*" is one segment of any value). */
function table(flavor: Flavor): [string, Route][] {
  const templates = admin("indices:admin/index_template", "get", "put", "delete");
  const components = admin("cluster:admin/component_template", "get", "put", "delete");
  const ilm = admin("cluster:admin/ilm", "get", "put", "delete");
  const ism = admin("cluster:admin/opendistro/ism/policy", "get", "write", "delete");
  const managed = "cluster:admin/opendistro/ism/managedindex";
  // The fake's writer role: cluster monitor, and create_doc, auto_configure and
  // view_index_metadata on indices; creating, deleting or rolling over explicitly is more.
  const streams = {
    GET: undefined,
    PUT: "indices:admin/data_stream/create",
    DELETE: "indices:admin/data_stream/delete",
  };
  const bulk = route(
    "bulk",
    { POST: undefined, PUT: undefined },
    [...BULK, ...BULK_MORE, ...BULK_REST],
    handlers.bulk,
  );
  // OpenSearch's lifecycle API, when its plugin is installed.
  const withIsm = !flavor.es && flavor.ism;
  const ismRoutes = (prefix: string): [string, Route | false][] => [
    [
      `${prefix}/policies/*`,
      withIsm &&
        route(
          "ism",
          { GET: ism.GET, PUT: ism.PUT, DELETE: ism.DELETE },
          ["if_seq_no", "if_primary_term"],
          handlers.ism,
        ),
    ],
    [
      `${prefix}/explain/*`,
      withIsm &&
        route("ism_explain", { GET: `${managed}/explain` }, ["show_policy"], handlers.ismExplain),
    ],
    [
      `${prefix}/add/*`,
      withIsm && route("ism_add", { POST: `${managed}/add` }, [], handlers.ismAdd),
    ],
  ];
  const rows: [string, Route | false][] = [
    ["", route("root", { GET: undefined, HEAD: undefined }, [], handlers.root)],
    ["_nodes", route("nodes", { GET: undefined }, ["timeout"], handlers.nodes)],
    ["_nodes/*", route("nodes", { GET: undefined }, ["timeout"], handlers.nodes)],
    [
      "_security/user/_has_privileges",
      flavor.es &&
        route("has_privileges", { GET: undefined, POST: undefined }, [], handlers.hasPrivileges),
    ],
    ["_bulk", bulk],
    ["*/_bulk", bulk],
    [
      "_index_template",
      route("templates", { GET: templates.GET }, TEMPLATE, handlers.templates("index")),
    ],
    ["_index_template/*", route("template", templates, TEMPLATE, handlers.templates("index"))],
    [
      "_component_template",
      route("components", { GET: components.GET }, TEMPLATE, handlers.templates("component")),
    ],
    [
      "_component_template/*",
      route("component", components, TEMPLATE, handlers.templates("component")),
    ],
    [
      "_ilm/policy",
      flavor.es && route("ilm", { GET: ilm.GET }, ["master_timeout", "timeout"], handlers.ilm),
    ],
    [
      "_ilm/policy/*",
      flavor.es &&
        route(
          "ilm",
          { GET: ilm.GET, PUT: ilm.PUT, DELETE: ilm.DELETE },
          ["master_timeout", "timeout"],
          handlers.ilm,
        ),
    ],
    ...ismRoutes("_plugins/_ism"),
    ...ismRoutes("_opendistro/_ism"),
    ["_data_stream", route("data_streams", { GET: undefined }, STREAM, handlers.dataStreams)],
    ["_data_stream/*", route("data_stream", streams, STREAM, handlers.dataStreams)],
    [
      "*/_rollover",
      route(
        "rollover",
        { POST: "indices:admin/rollover" },
        ["dry_run", "lazy", "wait_for_active_shards", "master_timeout", "timeout"],
        handlers.rollover,
      ),
    ],
    [
      "*/_count",
      route("count", { GET: undefined, POST: undefined }, ["q", ...WILDCARDS], handlers.count),
    ],
    [
      "*/_search",
      route(
        "search",
        { GET: "indices:data/read/search", POST: "indices:data/read/search" },
        [...WILDCARDS, "size", "track_total_hits"],
        handlers.search,
      ),
    ],
    [
      "*/_mapping",
      route(
        "mapping",
        { GET: undefined },
        [...WILDCARDS, "master_timeout", "local"],
        handlers.mapping,
      ),
    ],
    [
      "*/_refresh",
      route("refresh", { GET: undefined, POST: undefined }, WILDCARDS, handlers.refresh),
    ],
    [
      "_cluster/health",
      route(
        "health",
        { GET: undefined },
        ["wait_for_status", "timeout", "level", "local"],
        handlers.health,
      ),
    ],
    [
      "*",
      route(
        "index",
        {
          GET: undefined,
          HEAD: undefined,
          PUT: "indices:admin/create",
          DELETE: "indices:admin/delete",
        },
        [
          ...WILDCARDS,
          "master_timeout",
          "timeout",
          "wait_for_active_shards",
          "include_defaults",
          "flat_settings",
          "local",
        ],
        handlers.index,
      ),
    ],
  ];
  return rows.filter((row): row is [string, Route] => row[1] !== false);
}

/** Paths AOSS has no API for: it answers them with an empty 404. */
const AOSS_MISSING = [/^$/, /^_plugins\/_ism/, /^_opendistro/, /^_cluster\//, /(^|\/)_refresh$/];

/** APIs Elastic Serverless knows but does not serve (ILM: data stream lifecycle instead). */
const ELASTIC_SERVERLESS_MISSING = /^_ilm(\/|$)|^_nodes(\/|$)/;

const cache = new WeakMap<Flavor, [string[], Route][]>();

export function findRoute(flavor: Flavor, path: string, method: string, url: string) {
  const parts = path
    .split("/")
    .filter((part) => part !== "")
    .map(decodeURIComponent);
  if (flavor.aoss && AOSS_MISSING.some((pattern) => pattern.test(parts.join("/")))) {
    throw new HttpError(404, "");
  }
  if (flavor.es && flavor.serverless && ELASTIC_SERVERLESS_MISSING.test(parts.join("/"))) {
    throw fail(
      410,
      "api_not_available_exception",
      `Request for uri [${url}] with method [${method}] exists but is not available when running in serverless mode`,
    );
  }
  let routes = cache.get(flavor);
  if (!routes) {
    routes = table(flavor).map(([pattern, found]) => [
      pattern === "" ? [] : pattern.split("/"),
      found,
    ]);
    cache.set(flavor, routes);
  }
  const allowed = new Set<string>();
  // Like the real path trie, a literal first segment takes the path from a wildcard: DELETE
  // /_bulk is a 405 of _bulk, not a delete of an index named _bulk (checked on OpenSearch 2.19.6;
  // Elasticsearch is left as it was, unchecked).
  const literal =
    !flavor.es &&
    routes.some(
      ([want]) =>
        want.length === parts.length &&
        want[0] !== undefined &&
        want[0] !== "*" &&
        want.every((segment, i) => segment === "*" || segment === parts[i]),
    );
  for (const [want, found] of routes) {
    if (literal && want[0] === "*") continue;
    if (want.length !== parts.length) continue;
    const args: string[] = [];
    // A leading wildcard before an API segment never takes a "_" name: /_foo/_count is no
    // route; a wildcard after one may (/_nodes/_local).
    const matches = want.every((segment, i) => {
      const part = parts[i] ?? "";
      if (segment !== "*") return segment === part;
      if (i === 0 && want.length > 1 && part.startsWith("_")) return false;
      args.push(part);
      return true;
    });
    if (!matches) continue;
    if (method in found.methods) return { route: found, args };
    for (const one of Object.keys(found.methods)) allowed.add(one);
  }
  if (allowed.size > 0) {
    const list = [...allowed].sort();
    const error = `Incorrect HTTP method for uri [${url}] and method [${method}], allowed: [${list.join(", ")}]`;
    throw new HttpError(405, { error, status: 405 }, { Allow: list.join(",") });
  }
  throw new HttpError(400, { error: `no handler found for uri [${url}] and method [${method}]` });
}
