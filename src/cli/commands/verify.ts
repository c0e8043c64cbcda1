import { ConfigError } from "../../errors.ts";
import type { JobStore, RecordedRun, RunTrigger } from "../../interfaces.ts";
import { makeFilter } from "../../pipeline/filter.ts";
import { assembleJob } from "../../runner/assemble.ts";
import { recordVerification } from "../../runner/job.ts";
import { newStats } from "../../runner/once.ts";
import {
  awaitIndexed,
  repairMissing,
  type Verification,
  verifyPeriod,
} from "../../runner/verify.ts";
import { verifyPeriod as parsePeriod } from "../../runner/verify-period.ts";
import { newBudget } from "../../util/retry.ts";
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
import { type RepairOutcome, verificationJson, verificationText } from "../verify-report.ts";

/** Pending dead letters read to tell "refused and kept" from "missing". */
const MAX_DEAD_LETTERS = 100_000;
/** Before a second look at the missing: the index's refresh (1 s by default) and a margin. */
const SETTLE_FIRST_MS = 2_000;
/** How long a repair waits for the re-sent events to show in the index (refresh, Logstash). */
const SETTLE_MS = 60_000;

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
          const lookup = job.sink.lookup;
          if (!lookup) {
            throw new ConfigError([
              `verify: ${job.sink.info.target} cannot say what it indexed: set VERIFY_ELASTICSEARCH_URL (and VERIFY_INDEX, VERIFY_ID_FIELD) to the cluster your Logstash pipeline writes to`,
            ]);
          }
          const context = {
            budget: newBudget(config.retryMaxTimeMs),
            stats: newStats(),
            signal: stop.signal,
          };
          const letters = await jobStore.deadLetters.list({
            state: "pending",
            limit: MAX_DEAD_LETTERS,
          });
          const started = new Date();
          let lastDraw = 0;
          const found = await verifyPeriod(
            {
              source: job.source,
              lookup,
              keep: makeFilter({ logTypes: config.logTypes, logLevel: config.logLevel }),
              deadLetters: new Set(letters.map((letter) => letter.logId)),
              checkpoint: (await jobStore.checkpoints.get()).checkpoint,
              context,
              keepMissing: values.repair === true,
              settleMs: SETTLE_FIRST_MS,
              progress: (read, at) => {
                const now = Date.now();
                if (!tty || now - lastDraw < 200) return;
                lastDraw = now;
                io.stderr.write(
                  `\r\x1b[2Kverifying: ${read} events read, up to ${at.toISOString().slice(0, 19)}Z`,
                );
              },
            },
            { from: period.from, until: period.until },
          );
          if (tty) io.stderr.write("\r\x1b[2K");
          const retries = () => context.stats.retries.source + context.stats.retries.sink;
          const runId = await jobStore.runs.record(
            runOf("verify", started, found, {
              sent: 0,
              rejected: 0,
              retries: retries(),
              missing: found.totals.missing,
              target: job.sink.info.target,
            }),
          );
          let repair: RepairOutcome | null = null;
          if (values.repair === true && found.missingEvents.length > 0) {
            const repairStarted = new Date();
            const { sent, rejected } = await repairMissing(
              { sink: job.sink, batcher: job.batcher, context, batchSize: config.batchSize },
              found.missingEvents,
            );
            const refused = new Set(rejected.map((rejection) => rejection.id));
            const stillMissing = await awaitIndexed(
              lookup,
              found.missing.filter((id) => !refused.has(id)),
              context,
              SETTLE_MS,
            );
            const repairRun = await jobStore.runs.record(
              runOf("repair", repairStarted, found, {
                sent,
                rejected: rejected.length,
                retries: retries(),
                missing: stillMissing.length,
                target: job.sink.info.target,
              }),
            );
            // After the run exists, so that each letter names it.
            if (rejected.length > 0) {
              await jobStore.deadLetters.add(rejected, {
                sink: job.sink.info.target,
                runId: repairRun,
              });
            }
            repair = { sent, rejected: [...refused], stillMissing, runId: repairRun };
          }
          const missing = repair ? repair.stillMissing.length : found.totals.missing;
          await remember(jobStore, found, runId, repair, missing);
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

/** A verify or repair run, recorded whole: it moves no checkpoint and holds no lease. */
function runOf(
  trigger: RunTrigger,
  started: Date,
  found: Verification,
  done: { sent: number; rejected: number; retries: number; missing: number; target: string },
): RecordedRun {
  const { totals } = found;
  const verb = trigger === "repair" ? "still missing after the repair" : "missing";
  return {
    trigger,
    startedAt: started.toISOString(),
    endedAt: new Date().toISOString(),
    outcome: done.missing === 0 ? "success" : "failed",
    read: totals.atAuth0,
    sent: done.sent,
    filtered: totals.filtered,
    streamed: 0,
    rejected: done.rejected,
    batches: 0,
    retries: done.retries,
    firstCheckpoint: found.from,
    lastCheckpoint: found.last,
    warnings:
      trigger === "verify"
        ? [
            `verified ${found.from} up to ${found.until}: ${totals.present} present, ${totals.missing} missing, ${totals.deadLettered} dead letters, ${totals.unsent} not sent yet`,
          ]
        : [],
    error: done.missing === 0 ? null : `${done.missing} events ${verb} from ${done.target}`,
  };
}

async function remember(
  store: JobStore,
  found: Verification,
  runId: number,
  repair: RepairOutcome | null,
  missing: number,
): Promise<void> {
  await recordVerification(store, {
    at: new Date().toISOString(),
    from: found.start,
    until: found.until,
    atAuth0: found.totals.atAuth0,
    present: found.totals.present + (repair ? repair.sent - repair.stillMissing.length : 0),
    missing,
    deadLettered: found.totals.deadLettered + (repair?.rejected.length ?? 0),
    repaired: repair ? repair.sent : null,
    runId,
  });
}
