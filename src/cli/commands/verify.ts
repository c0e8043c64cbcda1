import { ConfigError } from "../../errors.ts";
import { assembleJob } from "../../runner/assemble.ts";
import { runVerification } from "../../runner/verification.ts";
import { verifyPeriod as parsePeriod } from "../../runner/verify-period.ts";
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
import { onStopSignals } from "../signals.ts";
import { verificationJson, verificationText } from "../verify-report.ts";

export const verify: Command = {
  name: "verify",
  summary: "Check that every event of a period is in the index; --repair re-sends what is not",
  usage: `Usage: auth0-logs-to-logstash verify [--since TIME | --from CHECKPOINT] [--until TIME]
                                     [--repair] [--json] [--tenant ID]

Reads the tenant's events of the period from Auth0 (at AUTH0_RATE_LIMIT_SHARE, like an execution)
and looks each one the filters (LOG_TYPES, LOG_LEVEL) keep up in the index, 1 000 ids a search.
Prints per hour: events at Auth0, filtered out, present, missing, dead letters (refused by the
sink and kept: known, not missing) and not sent yet (after the checkpoint). Moves no checkpoint;
recorded in the run history as a "verify" run.

The index is the sink's (ELASTICSEARCH_URL: the data stream or index it writes to); with Logstash,
the one your pipeline writes to: VERIFY_ELASTICSEARCH_URL, VERIFY_INDEX and VERIFY_ID_FIELD. The
user needs the read privilege there.

Options:
  --since TIME        start: an ISO 8601 time (2026-11-24T08:00:00Z) or a duration back from now
                      (24h, 90m, 7d); default 24h, or AUTH0_LOG_RETENTION when shorter
  --from CHECKPOINT   start after this 56-digit Auth0 log id instead
  --until TIME        end, in the same forms as --since (default: now)
  --repair            send the missing events through the sink as an execution would (filters,
                      shaping, dead letters), then look them up again; recorded as a "repair" run
  --json              one JSON object: the counts per hour and every missing id
${TENANT_HELP}
  -h, --help          show this help

A period starting before AUTH0_LOG_RETENTION is refused: Auth0 no longer has those events.

Exit status: 0 nothing missing (after --repair: nothing missing any more); 1 events missing, or
the comparison failed; 2 bad arguments or settings.`,
  options: {
    since: { type: "string" },
    from: { type: "string" },
    until: { type: "string" },
    repair: { type: "boolean" },
    json: { type: "boolean" },
    ...TENANT_OPTION,
  },
  async run(values, positionals, io) {
    if (positionals.length > 0)
      throw new ConfigError([`verify: unexpected argument "${positionals[0]?.slice(0, 80)}"`]);
    const deployment = loadSettings(io);
    const config = chooseJob(deployment, values.tenant);
    const period = parsePeriod(
      {
        since: values.since as string | undefined,
        from: values.from as string | undefined,
        until: values.until as string | undefined,
      },
      config.auth0LogRetentionMs,
    );
    if ("problem" in period) throw new ConfigError([period.problem]);
    const logger = loggerFor(deployment.process, io);
    const stop = new AbortController();
    const stopListening = onStopSignals(
      () => stop.abort(),
      (signal) => io.stderr.write(`\n${signal} again: exiting now.\n`),
    );
    const tty = Boolean(io.stderr.isTTY);
    try {
      return await withStore(deployment.process, async (store) => {
        const jobStore = store.forJob(config.id);
        const job = await assembleJob(config, { store: jobStore, logger });
        try {
          let lastDraw = 0;
          const { found, runId, repair, missing } = await runVerification({
            config,
            job,
            store: jobStore,
            period: { from: period.from, until: period.until },
            repair: values.repair === true,
            signal: stop.signal,
            progress: (read, at) => {
              const now = Date.now();
              if (!tty || now - lastDraw < 200) return;
              lastDraw = now;
              io.stderr.write(
                `\r\x1b[2Kverifying: ${read} events read, up to ${at.toISOString().slice(0, 19)}Z`,
              );
            },
          });
          if (tty) io.stderr.write("\r\x1b[2K");
          const where = { tenant: config.id, target: job.sink.info.target, runId };
          io.stdout.write(
            values.json
              ? verificationJson(found, where, repair)
              : verificationText(found, where, repair),
          );
          return missing === 0 ? EXIT.ok : EXIT.failed;
        } finally {
          await job.close();
        }
      });
    } finally {
      stopListening();
    }
  },
};
