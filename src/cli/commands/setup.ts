import { loadSetupTargets } from "../../config/load.ts";
import { describe } from "../../errors.ts";
import { type Command, EXIT, loggerFor, TENANT_HELP, TENANT_OPTION } from "../command.ts";

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
    // The sink with something to install (sinks/index.ts) reads its targets and prepares each.
    const { module, targets } = loadSetupTargets(io.env, {
      cwd: io.cwd,
      tenant: typeof values.tenant === "string" ? values.tenant : undefined,
    });
    const setup = module.setup as NonNullable<typeof module.setup>;
    const first = targets[0] as (typeof targets)[number];
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
        await setup.run(target, {
          dry: Boolean(values["dry-run"]),
          logger,
          write: (text) => io.stdout.write(text),
        });
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
