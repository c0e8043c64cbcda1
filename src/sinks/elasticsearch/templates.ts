// What `setup` installs in Elasticsearch 8/9, OpenSearch 2/3 or Amazon OpenSearch Serverless:
// an index template (mappings and settings, as two component templates) and a lifecycle policy
// (ILM on Elasticsearch, ISM on OpenSearch). Pure builders of request bodies; the caller sends
// them (PUT _component_template/<name>, PUT _index_template/<name>, PUT _ilm/policy/<name> or
// PUT _plugins/_ism/policies/<name>).
//
// The one goal of the mappings: no Auth0 event is ever refused for its shape. Elasticsearch
// refuses a document whose field changes type from one event to the next (details.prompts[]
// .identity a number here and a string there; details.request.body an object, then a string)
// and an index past its field limit (hundreds of distinct keys in details). So every known Auth0
// field gets a type that takes whatever Auth0 sends in it, free-form objects are one flattened
// (Elasticsearch) or flat_object (OpenSearch) field each, whatever their insides, and every
// object is `dynamic: false`: a field nobody knows yet is kept in _source, never mapped.

import { FREE_FORM_FIELDS } from "./flat-object.ts";

export type Product = "elasticsearch" | "opensearch";
export type TemplateFormat = "ecs" | "extension" | "log-streams";

export interface SetupOptions {
  product: Product;
  /**
   * OpenSearch: Amazon OpenSearch Serverless, no lifecycle API (AWS configures retention);
   * templates only. Elasticsearch: Elastic Cloud Serverless, no ILM: retention is the data stream
   * lifecycle's, in the index template.
   */
  serverless: boolean;
  /** Which document shape the exporter writes. */
  format: TemplateFormat;
  /** The data stream or index written to, e.g. "logs-auth0.export-default". */
  target: string;
  /** target is a data stream (its name is logs-<dataset>-<namespace>). */
  dataStream: boolean;
  /** Delete after this many days; null: keep (no delete phase). */
  retentionDays: number | null;
  /** Base name of our templates and policy, e.g. "auth0-logs-to-logstash". */
  name: string;
}

export interface SetupPlan {
  componentTemplates: { name: string; body: Record<string, unknown> }[];
  indexTemplate: { name: string; body: Record<string, unknown> };
  lifecycle: { kind: "ilm" | "ism"; name: string; body: Record<string, unknown> } | null;
  /** What the plan cannot do that the settings ask for, to tell the user. */
  notes: string[];
}

/**
 * Above Elasticsearch's built-in `logs` template (100, logs-*-*) and Fleet's integration templates
 * (up to 200): Elastic's advice for overriding logs-*-* without Fleet is a priority above 500.
 */
export const TEMPLATE_PRIORITY = 501;
export const MANAGED_BY = "auth0-logs-to-logstash";
/**
 * What `setup` compares is each body's fingerprint (`_meta.hash`, setup.ts), so any change below
 * updates an older install of ours. This number is for people reading `_meta`: bumping it changes
 * every product's templates, so it stays put for a change one product alone needs (v1 plus the
 * unindexed original on OpenSearch, flat-object.ts).
 */
export const TEMPLATE_VERSION = 1;

const DATA_STREAM = /^logs-([^-]{1,100})-([^-]{1,100})$/;
type Mapping = Record<string, unknown>;

export function setupPlan(options: SetupOptions): SetupPlan {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(options.name)) {
    // Elastic reserves "@" in template names for its own (logs@mappings…).
    throw new Error(`template name ${JSON.stringify(options.name)}: lowercase a-z 0-9 . _ - only`);
  }
  const family = familyOf(options);
  const meta = { managed_by: MANAGED_BY, version: TEMPLATE_VERSION };
  const lifecycle = options.serverless ? null : lifecyclePolicy(options, family.patterns, meta);
  const aoss = options.serverless && options.product === "opensearch";
  const elasticServerless = options.serverless && options.product === "elasticsearch";
  const notes: string[] = [];
  const retention = options.retentionDays === null ? null : `${options.retentionDays}d`;
  if (retention !== null && aoss) {
    notes.push(
      "ELASTICSEARCH_RETENTION is not applied: Amazon OpenSearch Serverless has no lifecycle API; configure a data lifecycle policy on the collection instead",
    );
  } else if (retention !== null && elasticServerless && !options.dataStream) {
    notes.push(
      "ELASTICSEARCH_RETENTION is not applied: Elastic Cloud Serverless has no ILM, and the data stream lifecycle that replaces it manages data streams only",
    );
  }

  const componentTemplates: SetupPlan["componentTemplates"] = [
    {
      name: `${options.name}-mappings`,
      body: { template: { mappings: mappingsFor(options) }, _meta: meta },
    },
  ];
  // Our mappings hold fewer than 100 fields, far below the default limit (1 000): the generous
  // limit is a margin for fields mapped by hand. Amazon's Serverless gets no settings: which index
  // settings it accepts is not documented for certain, our fields fit its default, and it has no
  // lifecycle. Elastic's accepts the field limit, and refuses ILM settings.
  if (!aoss) {
    const settings: Record<string, unknown> = { "index.mapping.total_fields.limit": 2000 };
    if (lifecycle?.kind === "ilm") settings["index.lifecycle.name"] = lifecycle.name;
    componentTemplates.push({
      name: `${options.name}-settings`,
      body: { template: { settings }, _meta: meta },
    });
  }
  const indexTemplate: Record<string, unknown> = {
    index_patterns: family.patterns,
    priority: TEMPLATE_PRIORITY,
    composed_of: componentTemplates.map((t) => t.name),
    _meta: meta,
  };
  if (options.dataStream) indexTemplate.data_stream = {};
  if (elasticServerless && options.dataStream && retention !== null) {
    // The data stream lifecycle, which Serverless applies to every data stream instead of ILM.
    indexTemplate.template = { lifecycle: { data_retention: retention } };
  }
  return {
    componentTemplates,
    indexTemplate: { name: options.name, body: indexTemplate },
    lifecycle,
    notes,
  };
}

/**
 * The names the template covers. A data stream logs-<dataset>-<namespace> gets logs-<dataset>-*:
 * every namespace of our dataset, and nothing else of logs-*-* (Elastic's own Auth0 integration
 * writes logs-auth0.logs-*, which keeps its own template). A plain index gets itself and
 * <index>-*.
 *
 * The ISM policy's ism_template takes the same patterns: OpenSearch matches a data stream's
 * backing index by the stream's name, never by the backing index's own (.ds-…, hidden: such
 * indices are skipped), see ManagedIndexCoordinator.findIndexLookupName in
 * opensearch-project/index-management.
 */
function familyOf(options: SetupOptions): { patterns: string[] } {
  if (!options.dataStream) return { patterns: [options.target, `${options.target}-*`] };
  const match = DATA_STREAM.exec(options.target);
  if (!match)
    throw new Error(`${options.target} is not a data stream name (logs-<dataset>-<namespace>)`);
  return { patterns: [`logs-${match[1]}-*`] };
}

/**
 * Rollover keeps each backing index of a data stream to 50 GB a primary shard or 30 days, as
 * Elastic's logs defaults do; the delete phase then drops whole backing indices once their age
 * (since rollover) reaches the retention. A plain index cannot roll over without an alias, so it
 * gets only the delete phase, which deletes the whole index once it is that old: nothing to do,
 * no policy, when it is kept forever.
 */
function lifecyclePolicy(
  options: SetupOptions,
  patterns: string[],
  meta: Record<string, unknown>,
): SetupPlan["lifecycle"] {
  const retention = options.retentionDays === null ? null : `${options.retentionDays}d`;
  if (!options.dataStream && retention === null) return null;
  if (options.product === "elasticsearch") {
    const phases: Record<string, unknown> = {};
    if (options.dataStream) {
      phases.hot = { actions: { rollover: { max_primary_shard_size: "50gb", max_age: "30d" } } };
    }
    if (retention !== null) phases.delete = { min_age: retention, actions: { delete: {} } };
    return { kind: "ilm", name: options.name, body: { policy: { _meta: meta, phases } } };
  }
  const hot: Record<string, unknown> = {
    name: "hot",
    actions: options.dataStream
      ? [{ rollover: { min_primary_shard_size: "50gb", min_index_age: "30d" } }]
      : [],
    transitions:
      retention === null
        ? []
        : [{ state_name: "delete", conditions: { min_index_age: retention } }],
  };
  const states: Record<string, unknown>[] = [hot];
  if (retention !== null)
    states.push({ name: "delete", actions: [{ delete: {} }], transitions: [] });
  const policy = {
    description: `Auth0 logs (${MANAGED_BY} v${TEMPLATE_VERSION}): ${
      retention === null ? "kept" : `deleted after ${retention}`
    }`,
    default_state: "hot",
    states,
    ism_template: [{ index_patterns: patterns, priority: 100 }],
  };
  return { kind: "ism", name: options.name, body: { policy } };
}

/**
 * Kept in _source, never indexed: the whole event, beside an indexed copy whose over-long
 * flat_object leaves were cut (OpenSearch only: flat-object.ts). As ECS maps event.original.
 */
const unindexed = { type: "keyword", index: false, doc_values: false };
/** What OpenSearch's documents add when a leaf was cut (flat-object.ts), outside ECS. */
const cutFields = (es: boolean): Record<string, Mapping> =>
  es ? {} : { event_original: unindexed, truncated_fields: keyword };

function mappingsFor(options: SetupOptions): Mapping {
  const es = options.product === "elasticsearch";
  const auth0 = auth0Fields(es);
  if (options.format === "log-streams") {
    return {
      dynamic: false,
      properties: {
        "@timestamp": { type: "date" },
        log_id: keyword,
        data: { type: "object", dynamic: false, properties: auth0 },
        ...cutFields(es),
      },
    };
  }
  if (options.format === "extension") {
    // The event at the top level, plus what the original extension added (shape.ts), where a
    // string user_agent is moved to auth0_user_agent (Logstash's ECS mode owns user_agent).
    return {
      dynamic: false,
      properties: {
        ...auth0,
        "@timestamp": { type: "date" },
        type_description: keyword,
        index: keyword,
        post_date: { type: "date", ignore_malformed: true },
        auth0_user_agent: searchable,
        ...cutFields(es),
      },
    };
  }
  return { dynamic: false, properties: ecsFields(es, options.dataStream, auth0) };
}

const keyword = { type: "keyword", ignore_above: 1024 };
/** Full-text search, with the whole value for exact matches and aggregations. */
const searchable = { type: "text", fields: { keyword } };
const free = (es: boolean): Mapping =>
  // depth_limit: Elasticsearch's default (20) would refuse deeply nested request bodies.
  // ignore_above: a longer leaf is kept in _source but not indexed, instead of refusing the
  // document for a term over Lucene's 32 766 bytes. OpenSearch's flat_object takes no parameters:
  // the sink cuts such a leaf there, keeping the whole event unindexed beside it (flat-object.ts).
  es ? { type: "flattened", depth_limit: 1000, ignore_above: 8191 } : { type: "flat_object" };

/** Every Auth0 event field we know (contracts.md §4), typed to take any value Auth0 sends there. */
function auth0Fields(es: boolean): Record<string, Mapping> {
  const fields: Record<string, Mapping> = {};
  for (const name of [
    "log_id",
    "type",
    "connection",
    "connection_id",
    "client_id",
    "client_name",
    "user_id",
    "user_name",
    "hostname",
    "audience",
    // An array or a space-separated string: a keyword takes both.
    "scope",
    "strategy",
    "strategy_type",
    "tenant_name",
    "organization_id",
    "organization_name",
    // A boolean, or a string of one: a keyword takes both, a boolean field would not.
    "isMobile",
  ]) {
    fields[name] = keyword;
  }
  fields.date = { type: "date", ignore_malformed: true };
  fields.ip = { type: "ip", ignore_malformed: true };
  fields.client_ip = { type: "ip", ignore_malformed: true };
  fields.description = searchable;
  fields.user_agent = searchable;
  for (const name of FREE_FORM_FIELDS) {
    fields[name] = free(es);
  }
  return fields;
}

/** ECS 9 types for the fields ecs.ts writes, with the Auth0 event under auth0.logs.data. */
function ecsFields(es: boolean, dataStream: boolean, auth0: Record<string, Mapping>): Mapping {
  const obj = (properties: Record<string, Mapping>): Mapping => ({ properties });
  const matchText = { type: es ? "match_only_text" : "text" };
  // constant_keyword is one value per index: right for a data stream, whose name holds dataset
  // and namespace, wrong for a plain index that several exporters may share.
  const constant = es && dataStream ? { type: "constant_keyword" } : keyword;
  return {
    "@timestamp": { type: "date" },
    message: matchText,
    ecs: obj({ version: keyword }),
    event: obj({
      kind: keyword,
      category: keyword,
      type: keyword,
      action: keyword,
      outcome: keyword,
      id: keyword,
      code: keyword,
      dataset: keyword,
      module: keyword,
      created: { type: "date" },
      ingested: { type: "date" },
      ...(es ? {} : { original: unindexed }),
    }),
    log: obj({ level: keyword }),
    source: obj({
      ip: { type: "ip" },
      geo: obj({
        city_name: keyword,
        continent_code: keyword,
        country_iso_code: keyword,
        country_name: keyword,
        region_name: keyword,
        timezone: keyword,
        location: { type: "geo_point" },
      }),
    }),
    client: obj({ ip: { type: "ip" } }),
    network: obj({ type: keyword }),
    user: obj({
      id: keyword,
      name: { ...keyword, fields: { text: matchText } },
      email: keyword,
    }),
    user_agent: obj({ original: { ...keyword, fields: { text: matchText } } }),
    organization: obj({ id: keyword, name: { ...keyword, fields: { text: matchText } } }),
    related: obj({ ip: { type: "ip" }, user: keyword }),
    data_stream: obj({ type: constant, dataset: constant, namespace: constant }),
    auth0: obj({
      logs: obj({
        data: { type: "object", dynamic: false, properties: auth0 },
        ...(es ? {} : { truncated_fields: keyword }),
      }),
    }),
  };
}
