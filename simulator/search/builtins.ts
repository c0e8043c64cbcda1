// The templates a fresh Elasticsearch 8/9 node already has, which decide what happens to a write
// to `logs-<dataset>-<namespace>` before anyone installs anything: the managed `logs` template
// (logs-*-*, priority 100, a data stream) composed of logs@mappings, logs@settings and a subset of
// ecs@mappings. Its settings matter: ignore_malformed and ignore_dynamic_beyond_limit are on, so
// a type clash on a leaf is dropped silently there instead of refusing the document.
// OpenSearch ships no such template.

import type { Json } from "./errors.ts";
import type { Flavor } from "./options.ts";

export interface Builtins {
  index: Record<string, Json>;
  component: Record<string, Json>;
}

const ECS_DYNAMIC_TEMPLATES: Json[] = [
  { ecs_timestamp: { match: "@timestamp", mapping: { type: "date", ignore_malformed: false } } },
  {
    ecs_message_match_only_text: {
      path_match: ["message", "*.message"],
      unmatch_mapping_type: "object",
      mapping: { type: "match_only_text" },
    },
  },
  {
    ecs_non_indexed_keyword: {
      path_match: ["event.original"],
      mapping: { type: "keyword", index: false, doc_values: false },
    },
  },
  {
    ecs_ip: {
      path_match: ["ip", "*.ip", "*_ip"],
      match_mapping_type: "string",
      mapping: { type: "ip" },
    },
  },
  {
    ecs_path_match_keyword_and_match_only_text: {
      path_match: [
        "*.title",
        "*.executable",
        "*.name",
        "*.working_directory",
        "*.full_name",
        "*file.path",
        "*file.target_path",
        "*os.full",
        "email.subject",
        "vulnerability.description",
        "user_agent.original",
      ],
      unmatch_mapping_type: "object",
      mapping: { type: "keyword", fields: { text: { type: "match_only_text" } } },
    },
  },
  {
    ecs_date: {
      path_match: [
        "*.timestamp",
        "*_timestamp",
        "*.not_after",
        "*.not_before",
        "*.accessed",
        "created",
        "*.created",
        "*.installed",
        "*.creation_date",
        "*.ctime",
        "*.mtime",
        "ingested",
        "*.ingested",
        "*.start",
        "*.end",
      ],
      unmatch_mapping_type: "object",
      mapping: { type: "date" },
    },
  },
  {
    ecs_path_match_float: {
      path_match: ["*.score.*", "*_score*"],
      path_unmatch: "*.version",
      unmatch_mapping_type: "object",
      mapping: { type: "float" },
    },
  },
  { ecs_geo_point: { path_match: ["*.geo.location"], mapping: { type: "geo_point" } } },
  {
    ecs_flattened: {
      path_match: ["*structured_data", "*exports", "*imports"],
      match_mapping_type: "object",
      mapping: { type: "flattened" },
    },
  },
  {
    all_strings_to_keywords: {
      match_mapping_type: "string",
      mapping: { type: "keyword", ignore_above: 1024 },
    },
  },
];

export function builtins(flavor: Flavor): Builtins {
  if (!flavor.es || flavor.major < 8) return { index: {}, component: {} };
  const managed = { managed: true, description: "default logs template installed by x-pack" };
  // Serverless manages every data stream with the data stream lifecycle: no ILM policy named.
  const settings: Json = {
    index: {
      ...(flavor.serverless ? {} : { lifecycle: { name: "logs" } }),
      codec: "best_compression",
      mapping: { ignore_malformed: "true", total_fields: { ignore_dynamic_beyond_limit: "true" } },
      default_pipeline: "logs@default-pipeline",
    },
  };
  if (flavor.major >= 9) (settings.index as Json).mode = "logsdb";
  return {
    index: {
      logs: {
        index_patterns: ["logs-*-*"],
        composed_of: ["logs@mappings", "logs@settings", "logs@custom", "ecs@mappings"],
        priority: 100,
        version: 14,
        _meta: managed,
        data_stream: { hidden: false, allow_custom_routing: false },
        allow_auto_create: true,
        ignore_missing_component_templates: ["logs@custom"],
      },
    },
    component: {
      "logs@mappings": {
        template: {
          mappings: {
            date_detection: false,
            properties: {
              "@timestamp": { type: "date", ignore_malformed: false },
              data_stream: {
                properties: {
                  type: { type: "constant_keyword", value: "logs" },
                  dataset: { type: "constant_keyword" },
                  namespace: { type: "constant_keyword" },
                },
              },
            },
          },
        },
        version: 14,
        _meta: {
          ...managed,
          description: "default mappings for the logs index template installed by x-pack",
        },
      },
      "logs@settings": {
        template: { settings },
        version: 14,
        _meta: {
          ...managed,
          description: "default settings for the logs index template installed by x-pack",
        },
      },
      "ecs@mappings": {
        template: { mappings: { dynamic_templates: ECS_DYNAMIC_TEMPLATES } },
        version: 14,
        _meta: { ...managed, description: "dynamic mappings based on ECS, installed by x-pack" },
      },
    },
  };
}
