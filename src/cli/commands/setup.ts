import { loadSetupSettings } from "../../config/load.ts";
import { newStats } from "../../runner/once.ts";
import { newBudget, retryFor, withRetry } from "../../util/retry.ts";
import { type Command, EXIT, loggerFor } from "../command.ts";

export const setup: Command = {
  name: "setup",
  summary: "Install the index template and lifecycle policy in Elasticsearch or OpenSearch",
  usage: `Usage: auth0-logs-to-logstash setup [--dry-run]

Prepares the cluster at ELASTICSEARCH_URL (or ELASTICSEARCH_CLOUD_ID) for the documents the exporter
writes: component templates and an index template whose mappings type every known Auth0 field and
make free-form objects (details, …) flattened, so that no event is refused for its shape, and a
lifecycle policy (ILM on Elasticsearch, ISM on OpenSearch; ELASTICSEARCH_RETENTION). Idempotent:
only what is missing or older than this version is written. run and once do the same at start when
the template is missing, unless ELASTICSEARCH_SETUP=off.

Logstash users: set ELASTICSEARCH_URL (and its credentials) for this command only, to prepare the
cluster behind Logstash; docs/logstash/ has a pipeline that writes into it.

Options:
  --dry-run   only say what is installed, missing or outdated
  -h, --help  show this help

Exit status: 0 done (or nothing to do), 1 the cluster refused, 2 bad settings.`,
  options: { "dry-run": { type: "boolean" } },
  async run(values, _positionals, io) {
    const settings = loadSetupSettings(io.env, { cwd: io.cwd });
    const logger = loggerFor({ exporterLogLevel: settings.exporterLogLevel }, io);
    for (const warning of settings.warnings) logger.warn(warning);
    // Loaded here: the other commands need none of the cluster's modules.
    const [{ ElasticsearchSink }, { applySetup, inspectSetup, planFor }, { describeProduct }] =
      await Promise.all([
        import("../../sinks/elasticsearch/sink.ts"),
        import("../../sinks/elasticsearch/setup.ts"),
        import("../../sinks/elasticsearch/product.ts"),
      ]);
    const sink = new ElasticsearchSink(
      {
        ...settings.elasticsearch,
        timeoutMs: settings.requestTimeoutMs,
        format: settings.documentFormat,
      },
      logger,
    );
    const context = {
      budget: newBudget(Math.min(settings.retryMaxTimeMs, 30_000)),
      stats: newStats(),
    };
    try {
      const product = await withRetry(() => sink.detect(), retryFor("sink", context));
      const plan = planFor(settings.elasticsearch, product, settings.documentFormat);
      io.stdout.write(
        `${describeProduct(product)} at ${sink.client.shown}; target ${settings.elasticsearch.index} (${settings.documentFormat} documents)\n`,
      );
      const { items, rolledOver } = values["dry-run"]
        ? { items: await inspectSetup(sink.client, plan), rolledOver: false }
        : await withRetry(
            () => applySetup(sink.client, plan, undefined, settings.elasticsearch.index),
            retryFor("sink", context),
          );
      const dry = Boolean(values["dry-run"]);
      const done = { ok: "up to date", missing: "installed", outdated: "updated" } as const;
      for (const item of items) {
        io.stdout.write(
          `${item.kind.padEnd(18)} ${item.name.padEnd(32)} ${dry ? item.state : done[item.state]}\n`,
        );
      }
      if (rolledOver) {
        io.stdout.write(
          `data stream        ${settings.elasticsearch.index.padEnd(32)} rolled over: new documents get the new mappings\n`,
        );
      }
      return EXIT.ok;
    } finally {
      await sink.close();
    }
  },
};
