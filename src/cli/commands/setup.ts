import { loadSetupTargets } from "../../config/load.ts";
import { describe } from "../../errors.ts";
import {
  type Command,
  chooseJob,
  EXIT,
  loadSettings,
  loggerFor,
  TENANT_HELP,
  TENANT_OPTION,
} from "../command.ts";
import { setupLogStream } from "./setup-log-stream.ts";

export const setup: Command = {
  name: "setup",
  summary:
    "Install the index template and lifecycle policy in Elasticsearch or OpenSearch; or the tenant's Log Stream (--log-stream)",
  usage: `Usage: auth0-logs-to-logstash setup [--dry-run] [--tenant ID]
       auth0-logs-to-logstash setup --log-stream URL [--dry-run] [--tenant ID]

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

With --log-stream URL: creates (or updates) the tenant's Auth0 Log Stream, a custom webhook that
pushes its events to this service's intake within seconds. URL is the public https:// address
of the intake (Auth0 sends nowhere else): the command appends /log-stream, or
/log-stream/<tenant id> for a tenant of a tenants file, unless the URL already ends so (give the
full path when your proxy maps it elsewhere). The stream sends JSON lines as application/json
with Authorization = LOG_STREAM_TOKEN (required). It is found by LOG_STREAM_ID, else by its name
"auth0-logs-to-logstash": one that already says all this is left alone, without a request. The
stream's id is printed: set LOG_STREAM_ID to it so that each sweep watches its status. Needs the
scopes read:log_streams and create:log_streams (or update:log_streams) on the Management API.
Without --tenant, every tenant with LOG_STREAM_TOKEN.

Options:
  --log-stream URL   set up the tenant's Log Stream to push to URL, instead of the cluster
  --dry-run          only say what is installed, missing or outdated; with --log-stream, show
                     the request (the token masked) without sending it
${TENANT_HELP}
  -h, --help         show this help

Exit status: 0 done (or nothing to do), 1 the cluster refused, 2 bad settings.`,
  options: { "dry-run": { type: "boolean" }, "log-stream": { type: "string" }, ...TENANT_OPTION },
  async run(values, _positionals, io) {
    if (typeof values["log-stream"] === "string") {
      const url = values["log-stream"];
      const deployment = loadSettings(io);
      const jobs =
        values.tenant === undefined && deployment.jobs.length > 1
          ? deployment.jobs.filter((job) => job.logStream)
          : [chooseJob(deployment, values.tenant)];
      for (const job of jobs) {
        if (jobs.length > 1) io.stdout.write(`Tenant ${job.id}:\n`);
        await setupLogStream(job, url, Boolean(values["dry-run"]), (text) => io.stdout.write(text));
      }
      return EXIT.ok;
    }
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
