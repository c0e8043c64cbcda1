// What the fake is told to be (product, version, serverless, auth, limits) and the product facts
// that follow from it: the GET / body, which mapping types exist, how errors are named. Kept in
// one place so that "ES 8 vs OpenSearch 2.x" differences are decided once, not in every handler.

import type { FaultPlan } from "../faults.ts";

export type SearchProduct = "elasticsearch" | "opensearch";

export type SearchFault =
  | "429"
  | "503"
  | "reset-before"
  | "reset-after"
  | "slow"
  | "item-429"
  | "item-503";

/** Faults on every route but `_bulk` (GET /, templates, policies, data streams...). */
export type AdminFault = "429" | "503" | "reset-before" | "reset-after";

export interface AwsAuth {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  service: "es" | "aoss";
}

export interface SearchOptions {
  product?: SearchProduct;
  version?: string;
  /**
   * OpenSearch: Amazon OpenSearch Serverless (no GET /, no ISM, no refresh). Elasticsearch:
   * Elastic Cloud Serverless (GET / says build_flavor "serverless"; no ILM: 410, data stream
   * lifecycle instead).
   */
  serverless?: boolean;
  /**
   * OpenSearch in compatibility mode (Amazon's override_main_response_version, or
   * compatibility.override_main_response_version): GET / says 7.10.2 and no distribution; the
   * nodes info API still tells the real version.
   */
  compatibilityMode?: boolean;
  collection?: "search" | "timeseries";
  /**
   * OpenSearch: whether the index-management (ISM) plugin is installed (default true). Without
   * it, as in OpenSearch's minimal distribution, no _plugins/_ism path has a handler.
   */
  ism?: boolean;
  basic?: { user: string; password: string };
  /** The expected value after "ApiKey ": base64 of "id:key". */
  apiKey?: string;
  bearer?: string;
  aws?: AwsAuth;
  privileges?: "all" | "write-only";
  fieldLimit?: number;
  maxContentLength?: number;
  slowMs?: number;
  faults?: FaultPlan<SearchFault> | null;
  /** Faults drawn by every request other than `_bulk` (none by default). */
  adminFaults?: FaultPlan<AdminFault> | null;
  keepDocuments?: boolean;
  /**
   * Benchmarks only: skip mapping each document (ids, 409s and data-stream rules still apply).
   * On a real cluster that work runs on the cluster's machines; here it would share the
   * exporter's two cores and measure the fake instead of the exporter.
   */
  skipMapping?: boolean;
  onIndexed?: (ids: string[]) => void;
}

/** The options resolved once, with the facts every module asks about. */
export interface Flavor {
  product: SearchProduct;
  es: boolean;
  version: string;
  major: number;
  minor: number;
  serverless: boolean;
  /** Amazon OpenSearch Serverless (serverless OpenSearch). */
  aoss: boolean;
  /** OpenSearch answering GET / as Elasticsearch 7.10.2. */
  compat: boolean;
  timeseries: boolean;
  /** OpenSearch with the ISM plugin. */
  ism: boolean;
  /** ES 8.8+ names document errors document_parsing_exception and prefixes "[1:N] ". */
  docErrorType: "document_parsing_exception" | "mapper_parsing_exception";
  locations: boolean;
}

export function flavorOf(options: SearchOptions): Flavor {
  const product = options.product ?? "elasticsearch";
  const es = product === "elasticsearch";
  const serverless = options.serverless === true;
  // Elastic Serverless answered 8.11.0 for years, now the next upcoming minor; build_flavor tells.
  const version = options.version ?? (es ? (serverless ? "8.11.0" : "8.17.0") : "2.17.1");
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10));
  const modern = es && (major > 8 || (major === 8 && minor >= 8));
  return {
    product,
    es,
    version,
    major,
    minor,
    serverless,
    aoss: serverless && !es,
    compat: !es && options.compatibilityMode === true,
    timeseries: serverless && !es && options.collection === "timeseries",
    ism: !es && options.ism !== false,
    docErrorType: modern ? "document_parsing_exception" : "mapper_parsing_exception",
    locations: es && major >= 8,
  };
}

function atLeast(flavor: Flavor, major: number, minor: number): boolean {
  return flavor.major > major || (flavor.major === major && flavor.minor >= minor);
}

const COMMON_TYPES = [
  "text",
  "keyword",
  "long",
  "integer",
  "short",
  "byte",
  "double",
  "float",
  "half_float",
  "scaled_float",
  "date",
  "date_nanos",
  "boolean",
  "binary",
  "ip",
  "geo_point",
  "geo_shape",
  "object",
  "nested",
  "alias",
  "completion",
  "search_as_you_type",
  "token_count",
  "rank_feature",
  "rank_features",
  "integer_range",
  "float_range",
  "long_range",
  "double_range",
  "date_range",
  "ip_range",
  "join",
  "percolator",
];

const ES_TYPES = [
  "flattened",
  "constant_keyword",
  "match_only_text",
  "wildcard",
  "unsigned_long",
  "version",
  "dense_vector",
  "sparse_vector",
  "histogram",
  "shape",
  "point",
  "semantic_text",
  "counted_keyword",
  "passthrough",
];

/** Every mapping type the product knows; anything else is "No handler for type [x]". */
export function knownTypes(flavor: Flavor): Set<string> {
  const types = new Set(COMMON_TYPES);
  if (flavor.es) {
    for (const type of ES_TYPES) types.add(type);
    return types;
  }
  types.add("knn_vector");
  types.add("xy_point");
  types.add("xy_shape");
  if (atLeast(flavor, 2, 7)) types.add("flat_object");
  if (atLeast(flavor, 2, 8)) types.add("unsigned_long");
  if (atLeast(flavor, 2, 12)) {
    types.add("match_only_text");
    types.add("constant_keyword");
  }
  if (atLeast(flavor, 2, 15)) types.add("wildcard");
  return types;
}

/** Types on which ignore_malformed (field or index setting) is honoured. */
export function malformableTypes(flavor: Flavor): Set<string> {
  const types = [
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
    "date",
    "date_nanos",
    "ip",
    "geo_point",
  ];
  if (flavor.es) types.push("boolean");
  return new Set(types);
}

// Build facts of real releases, so that a client's version parsing sees familiar values.
function luceneOf(flavor: Flavor): string {
  if (flavor.es) {
    if (flavor.major >= 9) return flavor.minor >= 1 ? "10.2.2" : "10.1.0";
    if (flavor.major === 8) return flavor.minor >= 17 ? "9.12.0" : "9.11.1";
    return "8.11.3";
  }
  if (flavor.major >= 3) return flavor.minor >= 1 ? "10.2.1" : "10.1.0";
  return flavor.minor >= 12 ? "9.11.1" : "9.7.0";
}

export function rootInfo(flavor: Flavor, uuid: string): Record<string, unknown> {
  if (flavor.es && flavor.serverless) {
    return {
      name: "serverless",
      cluster_name: "f1b5c2d0e9a84c7b9f3e6a1d2c4b8e7f",
      cluster_uuid: uuid,
      version: {
        number: flavor.version,
        build_flavor: "serverless",
        build_type: "docker",
        build_hash: "00000000",
        build_date: "2023-10-31",
        build_snapshot: false,
        lucene_version: "9.7.0",
        minimum_wire_compatibility_version: flavor.version,
        minimum_index_compatibility_version: flavor.version,
      },
      tagline: "You Know, for Search",
    };
  }
  if (flavor.es) {
    const wire = flavor.major >= 9 ? (flavor.minor >= 1 ? "8.19.0" : "8.18.0") : "7.17.0";
    return {
      name: "es-node-1",
      cluster_name: "docker-cluster",
      cluster_uuid: uuid,
      version: {
        number: flavor.version,
        build_flavor: "default",
        build_type: "docker",
        build_hash: "2b6a7fed44faa321997703718f07ee0420804b41",
        build_date: "2025-01-10T10:08:26.972230187Z",
        build_snapshot: false,
        lucene_version: luceneOf(flavor),
        minimum_wire_compatibility_version: wire,
        minimum_index_compatibility_version: flavor.major >= 9 ? "8.0.0" : "7.0.0",
      },
      tagline: "You Know, for Search",
    };
  }
  // Compatibility mode drops the distribution and reports 7.10.2 (opensearch-project/
  // documentation-website#72); the tagline is unchanged [UNCONFIRMED for Amazon's domains].
  return {
    name: "opensearch-node1",
    cluster_name: "opensearch-cluster",
    cluster_uuid: uuid,
    version: {
      ...(flavor.compat ? {} : { distribution: "opensearch" }),
      number: flavor.compat ? "7.10.2" : flavor.version,
      build_type: "tar",
      build_hash: "1893d20797e30110e5877170e44d42275ce5951e",
      build_date: "2025-01-17T20:51:42.426587716Z",
      build_snapshot: false,
      lucene_version: luceneOf(flavor),
      minimum_wire_compatibility_version: flavor.major >= 3 ? "2.19.0" : "7.10.0",
      minimum_index_compatibility_version: flavor.major >= 3 ? "2.0.0" : "7.0.0",
    },
    tagline: "The OpenSearch Project: https://opensearch.org/",
  };
}

/** GET /_nodes/_local: the node's own version, which compatibility mode does not override. */
export function nodesInfo(flavor: Flavor, uuid: string): Record<string, unknown> {
  const node = uuid.slice(0, 22);
  return {
    _nodes: { total: 1, successful: 1, failed: 0 },
    cluster_name: flavor.es ? "docker-cluster" : "opensearch-cluster",
    nodes: {
      [node]: {
        name: flavor.es ? "es-node-1" : "opensearch-node1",
        transport_address: "127.0.0.1:9300",
        host: "127.0.0.1",
        ip: "127.0.0.1",
        version: flavor.version,
        build_type: flavor.es ? "docker" : "tar",
        build_hash: "1893d20797e30110e5877170e44d42275ce5951e",
        roles: ["data", "ingest", flavor.es ? "master" : "cluster_manager"],
      },
    },
  };
}
