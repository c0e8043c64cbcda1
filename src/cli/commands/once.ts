import { assembleJob } from "../../runner/assemble.ts";
import { holderFor, JobLease } from "../../runner/lease.ts";
import { executeOnce } from "../../runner/once.ts";
import {
  type Command,
  chooseJob,
  EXIT,
  loadSettings,
  loggerFor,
  TENANT_HELP,
  TENANT_OPTION,
  withStore,
} from "../command.ts";
import { progressLine, summary } from "../format.ts";
import { onStopSignals } from "../signals.ts";

/** How long a batch in flight may take to be acknowledged after a stop signal. */
const GRACE_MS = 10_000;

export const once: Command = {
  name: "once",
  summary: "Export once: read from the checkpoint until caught up, then exit",
  usage: `Usage: auth0-logs-to-logstash once [--json] [--tenant ID]

Reads the tenant's logs from the stored checkpoint (or START_FROM, or the initial look-back),
sends them to the sink (LOGSTASH_URL, or ELASTICSEARCH_URL) in batches and moves the checkpoint
after each batch the sink accounted for (documents it refused for good are kept as dead letters).

Options:
  --json             print the summary as JSON on stdout
${TENANT_HELP}
  -h, --help         show this help

Refuses to start (exit 1, naming it) while another process exports from the same store.

Exit status: 0 caught up, 1 failed (the reason and the checkpoint are printed), 2 bad settings.
On SIGINT/SIGTERM it stops reading, lets the batch in flight finish (up to 10 s), commits what was
acknowledged and exits; a second signal exits at once (safe: the checkpoint only moves on acks).`,
  options: { json: { type: "boolean" }, ...TENANT_OPTION },
  async run(values, _positionals, io) {
    const deployment = loadSettings(io);
    const config = chooseJob(deployment, values.tenant);
    const logger = loggerFor(deployment.process, io).child(
      config.id === "default" ? {} : { tenant: config.id },
    );
    const stop = new AbortController();
    const abandon = new AbortController();
    const stopListening = onStopSignals(
      (signal) => {
        logger.warn(`${signal}: stopping after the batch in flight (again to exit at once)`);
        stop.abort();
        setTimeout(() => abandon.abort(), GRACE_MS).unref();
      },
      (signal) =>
        io.stderr.write(
          `\n${signal} again: exiting now; unacknowledged batches will be re-sent.\n`,
        ),
    );
    const tty = Boolean(io.stderr.isTTY);
    const started = Date.now();
    let lastDraw = 0;
    for (const warning of deployment.process.warnings) logger.warn(warning);
    for (const warning of config.warnings) logger.warn(warning);
    try {
      const result = await withStore(deployment.process, async (root) => {
        const store = root.forJob(config.id);
        const lease = await JobLease.claim(store, holderFor("once"));
        const job = await assembleJob(config, { store, logger });
        try {
          return await executeOnce({
            config,
            job,
            store,
            logger,
            trigger: "manual",
            fence: lease.fence,
            stop: stop.signal,
            abandon: AbortSignal.any([abandon.signal, lease.lost]),
            onProgress: (progress) => {
              const now = Date.now();
              if (tty && now - lastDraw > 200) {
                lastDraw = now;
                io.stderr.write(`\r\x1b[2K${progressLine(progress, now - started)}`);
              }
            },
          });
        } finally {
          await job.close();
          await lease.release();
        }
      });
      if (tty) io.stderr.write("\r\x1b[2K");
      if (values.json) {
        const { stats: _stats, tailRun: _tail, ...plain } = result;
        io.stdout.write(`${JSON.stringify(plain)}\n`);
      } else if (tty || io.stdout.isTTY) {
        io.stdout.write(summary(result));
      }
      const fields = {
        runId: result.runId,
        outcome: result.outcome,
        read: result.read,
        sent: result.sent,
        filtered: result.filtered,
        streamed: result.streamed,
        rejected: result.rejected,
        batches: result.batches,
        retries: result.retries,
        checkpoint: result.checkpoint,
        durationMs: result.durationMs,
      };
      if (result.outcome === "failed" || result.leaseLost) {
        logger.error(
          { ...fields, reason: result.error },
          "execution failed; resume or replay from the checkpoint",
        );
        return EXIT.failed;
      }
      logger.info(fields, result.outcome === "success" ? "caught up" : "stopped before caught up");
      return EXIT.ok;
    } finally {
      stopListening();
    }
  },
};
