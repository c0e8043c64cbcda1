// One verification of a tenant, as `verify` and the service's VERIFY_SCHEDULE run it: compare the
// period with the index, record it as a "verify" run, with --repair (VERIFY_REPAIR) re-send the
// missing events and record that as a "repair" run, and keep the summary for `status` and the
// dashboard. Moves no checkpoint.

import type { JobSettings } from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import type { JobStore, RecordedRun, RunTrigger } from "../interfaces.ts";
import { makeFilter } from "../pipeline/filter.ts";
import { newBudget } from "../util/retry.ts";
import type { Job } from "./assemble.ts";
import { recordVerification } from "./job.ts";
import { newStats } from "./once.ts";
import { awaitIndexed, repairMissing, type Verification, verifyPeriod } from "./verify.ts";

/** Pending dead letters read to tell "refused and kept" from "missing". */
const MAX_DEAD_LETTERS = 100_000;
/** Before a second look at the missing: the index's refresh (1 s by default) and a margin. */
const SETTLE_FIRST_MS = 2_000;
/** How long a repair waits for the re-sent events to show in the index (refresh, Logstash). */
const SETTLE_MS = 60_000;

/** What a repair did. */
export interface RepairOutcome {
  sent: number;
  /** Refused for good by the sink: kept as dead letters. */
  rejected: string[];
  /** Re-sent, yet still not in the index when verify stopped looking. */
  stillMissing: string[];
  runId: number;
}

export interface VerificationResult {
  found: Verification;
  runId: number;
  repair: RepairOutcome | null;
  /** Missing at the end: after a repair, what it could not fix. */
  missing: number;
  target: string;
}

export async function runVerification(options: {
  config: JobSettings;
  job: Job;
  store: JobStore;
  period: { from: string; until: Date };
  repair: boolean;
  signal?: AbortSignal | undefined;
  progress?: ((read: number, at: Date) => void) | undefined;
}): Promise<VerificationResult> {
  const { config, job, store } = options;
  const lookup = job.sink.lookup;
  if (!lookup) {
    throw new ConfigError([
      `verify: ${job.sink.info.target} cannot say what it indexed: set VERIFY_ELASTICSEARCH_URL (and VERIFY_INDEX, VERIFY_ID_FIELD) to the cluster your Logstash pipeline writes to`,
    ]);
  }
  const context = {
    budget: newBudget(config.retryMaxTimeMs),
    stats: newStats(),
    signal: options.signal,
  };
  const letters = await store.deadLetters.list({ state: "pending", limit: MAX_DEAD_LETTERS });
  const started = new Date();
  const found = await verifyPeriod(
    {
      source: job.source,
      lookup,
      keep: makeFilter({ logTypes: config.logTypes, logLevel: config.logLevel }),
      deadLetters: new Set(letters.map((letter) => letter.logId)),
      checkpoint: (await store.checkpoints.get()).checkpoint,
      context,
      keepMissing: options.repair,
      settleMs: SETTLE_FIRST_MS,
      progress: options.progress,
    },
    options.period,
  );
  const target = job.sink.info.target;
  const retries = () => context.stats.retries.source + context.stats.retries.sink;
  const runId = await store.runs.record(
    runOf("verify", started, found, {
      sent: 0,
      rejected: 0,
      retries: retries(),
      missing: found.totals.missing,
      target,
    }),
  );
  let repair: RepairOutcome | null = null;
  if (options.repair && found.missingEvents.length > 0) {
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
    const repairRun = await store.runs.record(
      runOf("repair", repairStarted, found, {
        sent,
        rejected: rejected.length,
        retries: retries(),
        missing: stillMissing.length,
        target,
      }),
    );
    // After the run exists, so that each letter names it.
    if (rejected.length > 0)
      await store.deadLetters.add(rejected, { sink: target, runId: repairRun });
    repair = { sent, rejected: [...refused], stillMissing, runId: repairRun };
  }
  const missing = repair ? repair.stillMissing.length : found.totals.missing;
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
  return { found, runId, repair, missing, target };
}

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
