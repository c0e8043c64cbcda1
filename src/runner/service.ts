// The long-running service: executions on SCHEDULE (or tailing), never overlapping, switchable on
// and off through the store, each recorded, measured and reported to Slack.

import type { Logger } from "pino";
import type { Config } from "../config/types.ts";
import { describe } from "../errors.ts";
import type { Notifier, RunRecord, RunTrigger, Store } from "../interfaces.ts";
import type { Metrics } from "../web/metrics.ts";
import type { ExecutionResult, Progress } from "./execution.ts";
import { isEnabled, JOB_SCHEDULE } from "./job.ts";
import { executeOnce } from "./once.ts";
import { instantRun } from "./replay.ts";
import { parseSchedule, type Schedule } from "./schedule.ts";

export interface ServiceStatus {
  enabled: boolean;
  schedule: string;
  nextRunAt: string | null;
  running: { trigger: RunTrigger; startedAt: string; progress: Progress | null } | null;
  consecutiveFailures: number;
}

export class Service {
  private readonly config: Config;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly notifier: Notifier;
  private schedule: Schedule;
  private current: {
    promise: Promise<void>;
    stop: AbortController;
    abandon: AbortController;
  } | null = null;
  private currentInfo: ServiceStatus["running"] = null;
  private tailTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  consecutiveFailures = 0;
  /** Listeners of progress and run ends (the dashboard). */
  readonly listeners = new Set<(event: { type: "progress" | "run"; data: unknown }) => void>();

  constructor(deps: {
    config: Config;
    store: Store;
    logger: Logger;
    metrics: Metrics;
    notifier: Notifier;
  }) {
    this.config = deps.config;
    this.store = deps.store;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.notifier = deps.notifier;
    this.schedule = parseSchedule(deps.config.schedule);
  }

  async start(): Promise<void> {
    const stored = await this.store.getJob(JOB_SCHEDULE);
    if (stored) this.schedule = parseSchedule(stored);
    this.schedule.start(() => void this.tick("schedule"));
    this.logger.info(
      {
        schedule: this.schedule.expression,
        next: this.schedule.next()?.toISOString(),
        tail: this.config.tail.enabled,
      },
      (await isEnabled(this.store)) ? "service started" : "service started, job disabled",
    );
    if (this.config.tail.enabled) void this.tick("tail");
  }

  /** Replaces the schedule without restart (validated by the caller). */
  async reschedule(expression: string): Promise<void> {
    const next = parseSchedule(expression);
    await this.store.setJob(JOB_SCHEDULE, expression);
    this.schedule.stop();
    this.schedule = next;
    if (!this.stopping) this.schedule.start(() => void this.tick("schedule"));
    this.logger.info(
      { schedule: expression, next: next.next()?.toISOString() },
      "schedule changed",
    );
  }

  async status(): Promise<ServiceStatus> {
    return {
      enabled: await isEnabled(this.store),
      schedule: this.schedule.expression,
      nextRunAt: this.schedule.next()?.toISOString() ?? null,
      running: this.currentInfo,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  /** Starts an execution unless one is running or the job is disabled; resolves when it ends. */
  async tick(trigger: RunTrigger): Promise<"ran" | "skipped" | "disabled"> {
    if (this.stopping) return "skipped";
    if (this.current) {
      if (trigger === "schedule") await this.recordSkip();
      return "skipped";
    }
    if (trigger !== "manual" && trigger !== "replay" && !(await isEnabled(this.store))) {
      this.logger.debug(`${trigger} tick: job disabled, no execution`);
      return "disabled";
    }
    const stop = new AbortController();
    const abandon = new AbortController();
    const promise = this.execute(trigger, stop.signal, abandon.signal);
    this.current = { promise, stop, abandon };
    try {
      await promise;
    } finally {
      this.current = null;
      this.currentInfo = null;
    }
    return "ran";
  }

  private async recordSkip(): Promise<void> {
    const checkpoint = (await this.store.getCheckpoint()).checkpoint;
    const warning = "the previous execution was still running";
    await this.store.recordRun(
      instantRun("schedule", "skipped", checkpoint, checkpoint, [warning]),
    );
    this.metrics.executions.inc({ outcome: "skipped" });
    this.logger.info("schedule tick skipped: the previous execution is still running");
  }

  private async execute(
    trigger: RunTrigger,
    stop: AbortSignal,
    abandon: AbortSignal,
  ): Promise<void> {
    this.currentInfo = { trigger, startedAt: new Date().toISOString(), progress: null };
    this.metrics.executionStarted();
    let result: (ExecutionResult & { stats: Parameters<Metrics["executionEnded"]>[2] }) | null =
      null;
    try {
      result = await executeOnce({
        config: this.config,
        store: this.store,
        logger: this.logger,
        trigger,
        stop,
        abandon,
        onProgress: (progress) => {
          if (this.currentInfo) this.currentInfo.progress = progress;
          this.metrics.progress(progress);
          this.emit("progress", progress);
        },
      });
    } catch (error) {
      // The store itself failed (deleted, read-only): nothing was committed; say so and carry on.
      this.consecutiveFailures++;
      this.logger.error(`execution could not run: ${describe(error)}`);
      this.metrics.executions.inc({ outcome: "failed" });
      await this.notifier.executionEnded({ ok: false, error: describe(error), run: null });
      return;
    }
    this.metrics.executionEnded(result.outcome, result.durationMs, result.stats, result.lagMs);
    this.consecutiveFailures = result.outcome === "failed" ? this.consecutiveFailures + 1 : 0;
    const line = {
      runId: result.runId,
      trigger,
      outcome: result.outcome,
      read: result.read,
      sent: result.sent,
      filtered: result.filtered,
      checkpoint: result.checkpoint,
      durationMs: result.durationMs,
    };
    if (result.outcome === "failed")
      this.logger.error({ ...line, reason: result.error }, "execution failed");
    else this.logger.info(line, result.outcome === "success" ? "caught up" : "execution stopped");
    const run = await this.store.getRun(result.runId).catch(() => null);
    this.emit("run", run);
    if (result.outcome !== "aborted") {
      await this.notifier.executionEnded({
        ok: result.outcome === "success",
        error: result.error,
        run,
      });
    }
    await this.prune();
    if (result.replayed && !this.stopping) {
      // The replay waits for no schedule tick: start re-sending from it as soon as this ends.
      setImmediate(() => void this.tick("replay"));
      return;
    }
    if (this.config.tail.enabled && !this.stopping && result.outcome === "success") {
      // Tailing: poll again shortly. After a failure the schedule paces the next attempt instead.
      this.tailTimer = setTimeout(() => void this.tick("tail"), this.config.tail.intervalMs);
    }
  }

  private async prune(): Promise<void> {
    try {
      const before = new Date(Date.now() - this.config.runsRetentionMs).toISOString();
      const pruned = await this.store.pruneRuns(before);
      if (pruned > 0) this.logger.debug({ pruned }, "old run records deleted");
    } catch (error) {
      this.logger.warn(`old run records could not be deleted: ${describe(error)}`);
    }
  }

  private emit(type: "progress" | "run", data: unknown): void {
    for (const listener of this.listeners) listener({ type, data });
  }

  /** Stops scheduling; lets the batch in flight finish within `graceMs`, then abandons it. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.schedule.stop();
    if (this.tailTimer) clearTimeout(this.tailTimer);
    const current = this.current;
    if (!current) return;
    current.stop.abort();
    const timer = setTimeout(() => current.abandon.abort(), graceMs);
    await current.promise.catch(() => {});
    clearTimeout(timer);
  }

  lastRun(): Promise<RunRecord | null> {
    return this.store.listRuns(1).then((runs) => runs[0] ?? null);
  }
}
