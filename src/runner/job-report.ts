// What a job's runner tells about its executions: its observer (the metrics), the log, Slack,
// skipped ticks in the run history, and the pruning of old runs after each execution.

import type { Logger } from "pino";
import type { JobConfig } from "../config/types.ts";
import { describe } from "../errors.ts";
import type { ExecutionStats, JobStore, Notifier, RunTrigger } from "../interfaces.ts";
import type { JobObserver } from "../ports/observers.ts";
import type { ExecutionResult } from "./execution.ts";
import { instantRun } from "./replay.ts";

export type EndedExecution = ExecutionResult & { stats: ExecutionStats };

export interface JobReportDeps {
  config: JobConfig;
  store: JobStore;
  logger: Logger;
  observer: JobObserver;
  notifier: Notifier;
  runsRetentionMs: number;
}

export class JobReport {
  private readonly deps: JobReportDeps;
  private readonly id: string;
  consecutiveFailures = 0;

  constructor(deps: JobReportDeps) {
    this.deps = deps;
    this.id = deps.config.id;
  }

  /** A schedule tick that fell during an execution. */
  async skipped(): Promise<void> {
    const { store, observer, logger } = this.deps;
    const checkpoint = (await store.checkpoints.get()).checkpoint;
    await store.runs.record(
      instantRun("schedule", "skipped", checkpoint, checkpoint, [
        "the previous execution was still running",
      ]),
    );
    observer.skipped(this.id);
    logger.info("schedule tick skipped: the previous execution is still running");
  }

  /** The store itself failed (deleted, read-only, down): nothing was committed; say so. */
  async couldNotRun(error: unknown): Promise<void> {
    this.consecutiveFailures++;
    this.deps.logger.error(`execution could not run: ${describe(error)}`);
    this.deps.observer.couldNotRun(this.id);
    await this.deps.notifier.executionEnded({ ok: false, error: describe(error), run: null });
  }

  /**
   * `periodStart`: when the schedule's current period began (its last tick), before which a tail
   * run's success must not have reached Slack already (at most one a period).
   */
  async ended(trigger: RunTrigger, result: EndedExecution, periodStart: number): Promise<void> {
    const { config, store, logger, observer, notifier } = this.deps;
    observer.ended(this.id, {
      outcome: result.outcome,
      durationMs: result.durationMs,
      stats: result.stats,
      lagMs: result.lagMs,
      sink: config.sink.kind,
    });
    this.consecutiveFailures = result.outcome === "failed" ? this.consecutiveFailures + 1 : 0;
    const line = {
      runId: result.runId,
      trigger,
      outcome: result.outcome,
      read: result.read,
      sent: result.sent,
      filtered: result.filtered,
      streamed: result.streamed,
      rejected: result.rejected,
      checkpoint: result.checkpoint,
      durationMs: result.durationMs,
    };
    // A tail poll that had nothing to record (tail.ts): counted in the metrics above, nothing else.
    if (result.runId === null) {
      logger.debug(line, "tail poll: nothing new");
      return;
    }
    await this.countDeadLetters();
    if (result.outcome === "failed" || result.leaseLost)
      logger.error({ ...line, reason: result.error }, "execution failed");
    else logger.info(line, result.outcome === "success" ? "caught up" : "execution stopped");
    const run = await store.runs.get(result.runId).catch(() => null);
    if (result.outcome !== "aborted" || result.leaseLost) {
      await notifier.executionEnded({
        ok: result.outcome === "success",
        error: result.error,
        run,
        successSince: trigger === "tail" ? periodStart : undefined,
      });
    }
    await this.prune();
  }

  /** The pending dead letters, for the metric; a store that cannot say keeps the last count. */
  async countDeadLetters(): Promise<void> {
    try {
      const { pending } = await this.deps.store.deadLetters.count();
      this.deps.observer.deadLetters(this.id, pending);
    } catch {
      // Reported by the executions themselves.
    }
  }

  private async prune(): Promise<void> {
    try {
      const before = new Date(Date.now() - this.deps.runsRetentionMs).toISOString();
      const pruned = await this.deps.store.runs.prune(before);
      if (pruned > 0) this.deps.logger.debug({ pruned }, "old run records deleted");
    } catch (error) {
      this.deps.logger.warn(`old run records could not be deleted: ${describe(error)}`);
    }
  }
}
