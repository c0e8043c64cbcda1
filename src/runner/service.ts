// The long-running service: executions on SCHEDULE (or tailing), never overlapping, switchable on
// and off through the store, each recorded, measured and reported to Slack. The process holds the
// job's lease while it runs, so that no second process exports the same job.

import type { Logger } from "pino";
import type { Config } from "../config/types.ts";
import { describe } from "../errors.ts";
import type { Notifier, RunRecord, RunTrigger, SinkInfo, Store } from "../interfaces.ts";
import { newBudget } from "../util/retry.ts";
import type { Metrics } from "../web/metrics.ts";
import { assembleJob, type Job } from "./assemble.ts";
import { type RetryOutcome, retryDeadLetters } from "./dead-letters.ts";
import type { ExecutionResult, Progress } from "./execution.ts";
import { isEnabled, JOB_SCHEDULE } from "./job.ts";
import { holderFor, JobLease, StoreBusyError } from "./lease.ts";
import { executeOnce, newStats } from "./once.ts";
import { instantRun } from "./replay.ts";
import { parseSchedule, type Schedule, scheduleProblem } from "./schedule.ts";

/** How soon a schedule changed elsewhere (CLI, another process) is followed. */
const SCHEDULE_WATCH_MS = 5_000;

export interface ServiceStatus {
  enabled: boolean;
  schedule: string;
  /** Where the schedule comes from: SCHEDULE, or changed at run time (dashboard, CLI). */
  scheduleSource: "setting" | "stored";
  nextRunAt: string | null;
  running: { trigger: RunTrigger; startedAt: string; progress: Progress | null } | null;
  consecutiveFailures: number;
}

/** The stored schedule when it is still valid (an older version may have stored a bad one). */
export async function effectiveSchedule(
  store: Store,
  configured: string,
): Promise<{ expression: string; source: "setting" | "stored"; ignored: string | null }> {
  const stored = await store.getJob(JOB_SCHEDULE);
  if (!stored) return { expression: configured, source: "setting", ignored: null };
  const problem = scheduleProblem(stored);
  if (problem === null) return { expression: stored, source: "stored", ignored: null };
  return {
    expression: configured,
    source: "setting",
    ignored: `the stored schedule "${stored.slice(0, 60)}" is not valid (${problem}); using SCHEDULE=${configured} ('schedule reset' removes it)`,
  };
}

export class Service {
  private readonly config: Config;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly notifier: Notifier;
  private schedule: Schedule;
  private scheduleSource: ServiceStatus["scheduleSource"] = "setting";
  private current: {
    promise: Promise<void>;
    stop: AbortController;
    abandon: AbortController;
  } | null = null;
  private currentInfo: ServiceStatus["running"] = null;
  /** The one tail timer: armed after a successful execution, cleared when any execution starts. */
  private tailTimer: NodeJS.Timeout | null = null;
  private lease: JobLease | null = null;
  /** Source, sink and pipeline, built at the first execution and kept for the next ones. */
  private job: Promise<Job> | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private busyReported = false;
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

  /** Claims the job (StoreBusyError when another process has it) and starts the schedule. */
  async start(): Promise<void> {
    await this.claim();
    const effective = await effectiveSchedule(this.store, this.config.schedule);
    if (effective.ignored) this.logger.warn(effective.ignored);
    this.schedule = parseSchedule(effective.expression);
    this.scheduleSource = effective.source;
    this.schedule.start(() => void this.tick("schedule"));
    this.logger.info(
      {
        schedule: this.schedule.expression,
        next: this.schedule.next()?.toISOString(),
        tail: this.config.tail.enabled,
      },
      (await isEnabled(this.store)) ? "service started" : "service started, job disabled",
    );
    // A schedule changed by another process (the CLI, another replica's dashboard) applies here too.
    this.watchTimer = setInterval(() => void this.followStoredSchedule(), SCHEDULE_WATCH_MS);
    this.watchTimer.unref();
    if (this.config.tail.enabled) void this.tick("tail");
  }

  private async followStoredSchedule(): Promise<void> {
    try {
      const effective = await effectiveSchedule(this.store, this.config.schedule);
      if (effective.expression === this.schedule.expression || this.stopping) return;
      this.apply(parseSchedule(effective.expression), effective.source);
    } catch {
      // The store is unreachable: executions report that; the schedule stays as it is.
    }
  }

  private apply(next: Schedule, source: ServiceStatus["scheduleSource"]): void {
    this.schedule.stop();
    this.schedule = next;
    this.scheduleSource = source;
    if (!this.stopping) this.schedule.start(() => void this.tick("schedule"));
    this.logger.info(
      { schedule: next.expression, next: next.next()?.toISOString() },
      source === "setting" ? "schedule is SCHEDULE" : "schedule changed",
    );
  }

  /** Claims the job for this process; StoreBusyError names the process that has it. */
  async claim(): Promise<JobLease> {
    if (this.lease && !this.lease.lost.aborted) return this.lease;
    this.lease = await JobLease.claim(this.store, holderFor("run"));
    return this.lease;
  }

  /** Replaces the schedule without restart (validated by the caller); null goes back to SCHEDULE. */
  async reschedule(expression: string | null): Promise<void> {
    const next = parseSchedule(expression ?? this.config.schedule);
    if (expression === null) await this.store.deleteJob(JOB_SCHEDULE);
    else await this.store.setJob(JOB_SCHEDULE, expression);
    this.apply(next, expression === null ? "setting" : "stored");
  }

  async status(): Promise<ServiceStatus> {
    return {
      enabled: await isEnabled(this.store),
      schedule: this.schedule.expression,
      scheduleSource: this.scheduleSource,
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
    // Any execution makes a pending tail poll pointless; a successful one arms the next.
    this.clearTail();
    const stop = new AbortController();
    const abandon = new AbortController();
    const promise = this.execute(trigger, stop.signal, abandon);
    this.current = { promise, stop, abandon };
    try {
      await promise;
    } finally {
      this.current = null;
      this.currentInfo = null;
    }
    return "ran";
  }

  private clearTail(): void {
    if (this.tailTimer) clearTimeout(this.tailTimer);
    this.tailTimer = null;
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
    abandon: AbortController,
  ): Promise<void> {
    let lease: JobLease;
    try {
      lease = await this.claim();
      this.busyReported = false;
    } catch (error) {
      // Another process exports the job: say so once, then quietly keep trying at each tick.
      if (!(error instanceof StoreBusyError)) throw error;
      if (!this.busyReported) this.logger.warn(`not exporting: ${error.message}`);
      this.busyReported = true;
      return;
    }
    this.currentInfo = { trigger, startedAt: new Date().toISOString(), progress: null };
    this.metrics.executionStarted();
    const onLost = () => abandon.abort(lease.lost.reason);
    lease.lost.addEventListener("abort", onLost, { once: true });
    let result: (ExecutionResult & { stats: Parameters<Metrics["executionEnded"]>[2] }) | null =
      null;
    try {
      result = await executeOnce({
        config: this.config,
        job: await this.assembled(),
        store: this.store,
        logger: this.logger,
        trigger,
        fence: lease.fence,
        stop,
        abandon: abandon.signal,
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
    } finally {
      lease.lost.removeEventListener("abort", onLost);
    }
    await this.ended(trigger, result);
  }

  private async ended(
    trigger: RunTrigger,
    result: ExecutionResult & { stats: Parameters<Metrics["executionEnded"]>[2] },
  ): Promise<void> {
    this.metrics.executionEnded(
      result.outcome,
      result.durationMs,
      result.stats,
      result.lagMs,
      this.config.sink.kind,
    );
    await this.countDeadLetters();
    this.consecutiveFailures = result.outcome === "failed" ? this.consecutiveFailures + 1 : 0;
    const line = {
      runId: result.runId,
      trigger,
      outcome: result.outcome,
      read: result.read,
      sent: result.sent,
      filtered: result.filtered,
      rejected: result.rejected,
      checkpoint: result.checkpoint,
      durationMs: result.durationMs,
    };
    if (result.outcome === "failed" || result.leaseLost)
      this.logger.error({ ...line, reason: result.error }, "execution failed");
    else this.logger.info(line, result.outcome === "success" ? "caught up" : "execution stopped");
    // Taken over: claim again at the next tick, which refuses while the other process holds it.
    if (result.leaseLost) this.lease = null;
    const run = await this.store.getRun(result.runId).catch(() => null);
    this.emit("run", run);
    if (result.outcome !== "aborted" || result.leaseLost) {
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
      this.clearTail();
      this.tailTimer = setTimeout(() => void this.tick("tail"), this.config.tail.intervalMs);
    }
  }

  /** The pending dead letters, for the metric; a store that cannot say keeps the last count. */
  async countDeadLetters(): Promise<void> {
    try {
      this.metrics.deadLetters.set((await this.store.countDeadLetters()).pending);
    } catch {
      // Reported by the executions themselves.
    }
  }

  private async assembled(): Promise<Job> {
    this.job ??= assembleJob(this.config, { store: this.store, logger: this.logger }).catch(
      (error) => {
        this.job = null;
        throw error;
      },
    );
    return this.job;
  }

  /** Re-sends dead letters through this service's sink (the dashboard's button). */
  async retryDeadLetters(which: number[] | "all"): Promise<RetryOutcome> {
    const job = await this.assembled();
    const outcome = await retryDeadLetters(this.store, job.sink, which, {
      budget: newBudget(this.config.retryMaxTimeMs),
      stats: newStats(),
    });
    await this.countDeadLetters();
    this.logger.info({ ...outcome }, "dead letters re-sent");
    return outcome;
  }

  /** Which sink the job writes to, fit to show. */
  async sinkInfo(): Promise<SinkInfo | null> {
    return (await this.job?.catch(() => null))?.sink.info ?? null;
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
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.clearTail();
    const current = this.current;
    if (current) {
      current.stop.abort();
      const timer = setTimeout(() => current.abandon.abort(), graceMs);
      await current.promise.catch(() => {});
      clearTimeout(timer);
    }
    await this.lease?.release();
    await (await this.job?.catch(() => null))?.close();
  }

  lastRun(): Promise<RunRecord | null> {
    return this.store.listRuns(1).then((runs) => runs[0] ?? null);
  }
}
