// The Elasticsearch/OpenSearch sink as the program sees it (sinks/module.ts): ELASTICSEARCH_URL or
// ELASTICSEARCH_CLOUD_ID chooses it. Its client, setup and diagnosis are loaded only when used:
// one-off commands against Logstash need none of them.

import { redactUrl, urlSecrets } from "../../util/secrets.ts";
import type { SinkModule } from "../module.ts";
import { type ElasticsearchConfig, elasticsearchConfig, elasticsearchSettings } from "./config.ts";
import { setupConflicts, setupKey } from "./setup-targets.ts";
import type { ElasticsearchSink } from "./sink.ts";

export const elasticsearch: SinkModule<ElasticsearchConfig> = {
  kind: "elasticsearch",
  label: "Elasticsearch",
  choice: "Elasticsearch/OpenSearch directly",
  settings: elasticsearchSettings,
  selectedBy: ["ELASTICSEARCH_URL", "ELASTICSEARCH_CLOUD_ID"],
  defaultFormat: "ecs",
  configFrom(parsed, problems, warnings) {
    if (parsed.ELASTICSEARCH_URL === undefined && parsed.ELASTICSEARCH_CLOUD_ID === undefined) {
      return undefined;
    }
    return elasticsearchConfig(parsed, problems, warnings);
  },
  refuses: (parsed) =>
    parsed.KEEP_ID === true
      ? [
          "KEEP_ID: Elasticsearch and OpenSearch refuse a document field named _id; the Elasticsearch sink uses log_id as each document's id instead (remove KEEP_ID)",
        ]
      : [],
  secretForms: (sink) => [
    ...sink.urls.flatMap(urlSecrets),
    ...(sink.auth.kind === "basic"
      ? [sink.auth.password, `${sink.auth.user}:${sink.auth.password}`]
      : sink.auth.kind === "api-key"
        ? [sink.auth.key]
        : []),
  ],
  describe: (sink) => `Elasticsearch/OpenSearch ${redactUrl(sink.urls[0] ?? "")} (${sink.index})`,
  place: (sink) => `Elasticsearch ${sink.urls.map(redactUrl).join(", ")} index ${sink.index}`,
  overlapKey: (sink) => `${sink.urls.join(",")}\n${sink.index}`,
  placeSetting: "ELASTICSEARCH_INDEX",
  dataStream: (sink) => sink.dataStream,
  async open(sink, options) {
    const { ElasticsearchSink } = await import("./sink.ts");
    return new ElasticsearchSink(
      { ...sink, timeoutMs: options.timeoutMs, format: options.format },
      options.logger,
    );
  },
  // What the cluster is, what is installed, what the user may do: more than Sink.check says.
  verify: (sink, context) => (sink as ElasticsearchSink).diagnose(context),
  setup: {
    required:
      "ELASTICSEARCH_URL: required by setup: the cluster to prepare (example: ELASTICSEARCH_URL=https://es.example.com:9200)",
    requiredInFile: (file) =>
      `ELASTICSEARCH_URL: required by setup, and no tenant of ${file} names a cluster (example: ELASTICSEARCH_URL=https://es.example.com:9200)`,
    beside: (setting) =>
      `\`setup\` alone reads the cluster's settings beside ${setting}: set ELASTICSEARCH_URL only for that command`,
    key: setupKey,
    conflicts: setupConflicts,
    async run(target, { dry, logger, write }) {
      const { prepare } = await import("./setup-command.ts");
      await prepare(target, dry, logger, write);
    },
  },
};
