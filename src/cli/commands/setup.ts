import type { Logger } from "pino";
import { loadSetupTargets, type SetupTarget } from "../../config/load.ts";
import { describe, SinkError } from "../../errors.ts";
import { newStats } from "../../runner/once.ts";
import { newBudget, retryFor, withRetry } from "../../util/retry.ts";
import { type Command, EXIT, type Io, loggerFor, TENANT_HELP, TENANT_OPTION } from "../command.ts";

export const setup: Command = {
  name: "setup",
  summary: "Install the index template and lifecycle policy in Elasticsearch or OpenSearch",
  usage: `Usage: auth0-logs-to-logstash setup [--dry-run] [--tenant ID]

Prepares the cluster at ELASTICSEARCH_URL (or ELASTICSEARCH_CLOUD_ID) for the documents the exporter
writes: component templates and an index template whose mappings type every known Auth0 field and
make free-form objects (details, …) flattened, so that no event is refused for its shape, and a
lifecycle policy (ILM on Elasticsearch, ISM on OpenSearch; ELASTICSEARCH_RETENTION). Idempotent:
only what is missing or older than this version is written. run and once do the same at start when
the template is missing, unless ELASTICSEARCH_SETUP=off.

Logstash users: set ELASTICSEARCH_URL (and its credentials) for this command only, to prepare the
cluster behind Logstash; docs/logstash/ has a pipeline that writes into it.

With a tenants file, every tenant's cluster is prepared (each cluster and target once), or only
the one of --tenant.

Options:
  --dry-run          only say what is installed, missing or outdated
${TENANT_HELP}
  -h, --help         show this help

Exit status: 0 done (or nothing to do), 1 the cluster refused, 2 bad settings.`,
  options: { "dry-run": { type: "boolean" }, ...TENANT_OPTION },
  async run(values, _positionals, io) {
    const targets = loadSetupTargets(io.env, {
      cwd: io.cwd,
      tenant: typeof values.tenant === "string" ? values.tenant : undefined,
    });
    const first = targets[0] as SetupTarget;
    const logger = loggerFor({ exporterLogLevel: first.exporterLogLevel }, io);
    let failed = false;
    for (const target of targets) {
      for (const warning of target.warnings) logger.warn(warning);
      if (targets.length > 1 || target.tenants[0] !== "default") {
        io.stdout.write(
          `${targets.indexOf(target) > 0 ? "\n" : ""}Tenants ${target.tenants.join(", ")}:\n`,
        );
      }
      try {
        await prepare(target, Boolean(values["dry-run"]), logger, io);
      } catch (error) {
        // One cluster's refusal does not keep the others from being prepared; the first is told.
        if (targets.length === 1) throw error;
        failed = true;
        io.stderr.write(`Error: ${describe(error)}\n`);
      }
    }
    return failed ? EXIT.failed : EXIT.ok;
  },
};

async function prepare(settings: SetupTarget, dry: boolean, logger: Logger, io: Io): Promise<void> {
  // Loaded here: the other commands need none of the cluster's modules.
  const [
    { ElasticsearchSink },
    { applySetup, inspectSetup, lifecycleNote, lifecycleUnavailable, planFor },
    { describeProduct },
    { isMisplacedIndex, plainIndexProblem, targetState },
  ] = await Promise.all([
    import("../../sinks/elasticsearch/sink.ts"),
    import("../../sinks/elasticsearch/setup.ts"),
    import("../../sinks/elasticsearch/product.ts"),
    import("../../sinks/elasticsearch/target.ts"),
  ]);
  const amazonServerless = (product: { serverless: boolean; product: string }) =>
    product.serverless && product.product === "opensearch";
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
    const target = settings.elasticsearch;
    // Every call is retried, so that a busy cluster (429, 503, a reset) is waited for, not fatal.
    const { items, rolledOver, attached, state } = dry
      ? {
          items: await withRetry(() => inspectSetup(sink.client, plan), retryFor("sink", context)),
          rolledOver: false,
          attached: [],
          state: amazonServerless(product)
            ? undefined
            : await withRetry(
                () => targetState(sink.client, target.index),
                retryFor("sink", context),
              ),
        }
      : await withRetry(
          () => applySetup(sink.client, plan, undefined, target),
          retryFor("sink", context),
        );
    const done = {
      ok: "up to date",
      missing: "installed",
      outdated: "updated",
      unavailable: "unavailable",
    } as const;
    for (const item of items) {
      io.stdout.write(
        `${item.kind.padEnd(18)} ${item.name.padEnd(32)} ${dry ? item.state : done[item.state]}\n`,
      );
    }
    if (rolledOver) {
      io.stdout.write(
        `data stream        ${target.index.padEnd(32)} rolled over: new documents get the new mappings\n`,
      );
    }
    for (const index of attached) {
      io.stdout.write(`ISM policy         ${index.padEnd(32)} attached (made before the policy)\n`);
    }
    for (const note of plan.notes) io.stdout.write(`Note: ${note}\n`);
    if (lifecycleUnavailable(items)) io.stdout.write(`Note: ${lifecycleNote(target)}\n`);
    if (state && isMisplacedIndex(target, state)) {
      // The templates are in place, but the target will never use them: not done.
      throw new SinkError(plainIndexProblem(target.index), { retryable: false });
    }
  } finally {
    await sink.close();
  }
}
