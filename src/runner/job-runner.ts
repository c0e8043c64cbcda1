// One job (tenant) held by this process: executions on its SCHEDULE (or tailing), never
// overlapping, switchable on and off through the store, each recorded (tail polls only when worth
// it: tail.ts), measured and reported. Its source, sink and pipeline are built once and outlive the
// executions. The supervisor starts it when this process holds the job's lease and stops it when
// the lease is lost or given back.

import type { Logger } from "pino";
import { LogStreamsClient } from "../auth0/log-streams.ts";
import type { JobSettings } from "../config/types.ts";
import { describe, LeaseLostError } from "../errors.ts";
import {
  isExecution,
  type JobStore,
  type Notifier,
  type RunRecord,
  type RunTrigger,
  type SinkInfo,
} from "../interfaces.ts";
import type { JobObserver } from "../ports/observers.ts";
import { newBudget } from "../util/retry.ts";
import { assembleJob, type Job } from "./assemble.ts";
import { type RetryOutcome, retryDeadLetters } from "./dead-letters.ts";
import type { Progress } from "./execution.ts";
import { isEnabled, takeRunNowRequest } from "./job.ts";
import { type EndedExecution, JobReport, type JobReportDeps } from "./job-report.ts";
import { JobSchedule } from "./job-schedule.ts";
import type { JobLease } from "./lease.ts";
import { executeOnce, newStats } from "./once.ts";
import { OneAtATime, type Turn } from "./one-at-a-time.ts";
import { checkStreamHealth } from "./stream-health.ts";
import { foldTarget, type TailRun } from "./tail.ts";
import { ScheduledVerification } from "./verify-schedule.ts";

export interface RunningInfo {
  trigger: RunTrigger;
  startedAt: string;
  progress: Progress | null;
}

export interface JobRunnerStatus {
  enabled: boolean;
  schedule: string;
  scheduleSource: "setting" | "stored";
  nextRunAt: string | null;
  running: RunningInfo | null;
  consecutiveFailures: number;
}

/** How often a held job looks for what other processes asked of it (run now, a replay). */
const WATCH_MS = 2_000;

export class JobRunner {
  readonly id: string;
  readonly config: JobSettings;
  readonly store: JobStore;
  private readonly logger: Logger;
  private readonly observer: JobObserver;
  private readonly notifier: Notifier;
  /** The Management API's log streams, for the stream's health (LOG_STREAM_ID); made when first used. */
  private logStreams: LogStreamsClient | null = null;
  private readonly report: JobReport;
  readonly schedule: JobSchedule;
  /** VERIFY_SCHEDULE's verifications, beside the executions (verify-schedule.ts). */
  readonly verification: ScheduledVerification;
  private lease: JobLease | null = null;
  private job: Promise<Job> | null = null;
  /** The one execution (or the tick deciding whether to start one). */
  private readonly turns = new OneAtATime();
  private currentInfo: RunningInfo | null = null;
  /** The one tail timer: armed after a successful execution, cleared when any execution starts. */
  private tailTimer: NodeJS.Timeout | null = null;
  /** The run tail polls fold into (tail.ts): none until one records, nor after another execution. */
  private tailRun: TailRun | null = null;
  /** The execution under way is a tail poll. */
  private polling = false;
  private watchTimer: NodeJS.Timeout | null = null;
  private seenMove: number | null = null;
  private stopping = false;
  /** Counts already told to the observer for the execution under way. */
  private reported: Progress | null = null;
  /** An execution as soon as the job is held (the service's); tests drive the ticks themselves. */
  private readonly runAtStart: boolean;

  constructor(deps: JobReportDeps & { runAtStart?: boolean }) {
    this.runAtStart = deps.runAtStart ?? false;
    this.id = deps.config.id;
    this.config = deps.config;
    this.store = deps.store;
    this.logger = deps.logger;
    this.observer = deps.observer;
    this.notifier = deps.notifier;
    this.report = new JobReport(deps);
    this.verification = new ScheduledVerification({ ...deps, job: () => this.assembled() });
    this.schedule = new JobSchedule(
      deps.config.schedule,
      deps.store,
      deps.logger,
      () => void this.tick("schedule"),
    );
  }

  /** Starts exporting under `lease`: the schedule, the watch of the store, and tailing. */
  async start(lease: JobLease): Promise<void> {
    this.lease = lease;
    this.stopping = false;
    lease.lost.addEventListener("abort", () => void this.leaseLost(), { once: true });
    await this.schedule.start();
    this.seenMove = (await this.store.checkpoints.lastMove().catch(() => null))?.id ?? null;
    // A replica taking the job over reports when it last caught up, wherever that was.
    const success = (
      await this.store.runs.list({ limit: 20, outcome: "success" }).catch(() => [])
    ).find(isExecution);
    if (success?.endedAt) {
      this.observer.lastSuccess(this.id, Date.parse(success.endedAt));
    }
    this.watchTimer = setInterval(() => void this.watch(), WATCH_MS);
    this.watchTimer.unref();
    this.verification.start(lease.lost);
    // An execution at once, as Elastic's input and Vector do, rather than up to one SCHEDULE
    // period later: a tail poll when tailing, else one "start" execution, then every tick.
    const enabled = await isEnabled(this.store);
    const now = this.runAtStart || this.config.tail.enabled;
    this.logger.info(
      {
        schedule: this.schedule.expression,
        next: this.schedule.next(),
        tail: this.config.tail.enabled,
      },
      !enabled
        ? "exporting, job disabled: no execution until 'enable'"
        : now
          ? `exporting: an execution now, then ${this.config.tail.enabled ? "tailing" : "on SCHEDULE"}`
          : "exporting",
    );
    if (this.config.tail.enabled) void this.tick("tail");
    else if (this.runAtStart) void this.tick("start");
  }

  /** What another process asked of this job: a run now, a replay; and a schedule changed there. */
  private async watch(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.schedule.follow();
      if (await takeRunNowRequest(this.store)) void this.tick("manual");
      const move = await this.store.checkpoints.lastMove();
      if (move && move.id !== this.seenMove) {
        this.seenMove = move.id;
        // A running execution notices at its next commit; an idle job starts re-sending now.
        if (move.reason === "replay" && !this.turns.busy) void this.tick("replay");
      }
    } catch {
      // The store is unreachable: executions report that; the next round tries again.
    }
  }

  /** An execution is under way. */
  get running(): boolean {
    return this.turns.busy;
  }

  /** Executions that failed in a row (or could not run), until one does not. */
  get consecutiveFailures(): number {
    return this.report.consecutiveFailures;
  }

  async status(): Promise<JobRunnerStatus> {
    return {
      enabled: await isEnabled(this.store),
      schedule: this.schedule.expression,
      scheduleSource: this.schedule.source,
      nextRunAt: this.schedule.next(),
      running: this.currentInfo,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  /**
   * Starts an execution unless one is running or the job is disabled; resolves when it ends.
   * Never rejects: timers call it, and a store that cannot be read is a failed execution.
   */
  tick(trigger: RunTrigger): Promise<"ran" | "skipped" | "disabled"> {
    return this.turn(trigger, false);
  }

  /** A tail poll: an execution recorded only when worth it (tail.ts). */
  private poll(): Promise<"ran" | "skipped" | "disabled"> {
    return this.turn("tail", true);
  }

  private async turn(trigger: RunTrigger, poll: boolean): Promise<"ran" | "skipped" | "disabled"> {
    try {
      return await this.tryTurn(trigger, poll);
    } catch (error) {
      await this.couldNotRun(error);
      return "skipped";
    }
  }

  private async tryTurn(
    trigger: RunTrigger,
    poll: boolean,
  ): Promise<"ran" | "skipped" | "disabled"> {
    if (this.stopping || !this.lease || this.lease.lost.aborted) return "skipped";
    const lease = this.lease;
    const outcome = await this.turns.run(async (turn, executing) => {
      if (trigger !== "manual" && trigger !== "replay" && !(await isEnabled(this.store))) {
        this.logger.debug(`${trigger} tick: job disabled, no execution`);
        return "disabled";
      }
      if (this.stopping || turn.stop.signal.aborted || lease.lost.aborted) return "skipped";
      executing();
      // Any execution makes a pending tail poll pointless; a successful one arms the next. Polls
      // after any other execution fold into a tail run of their own.
      this.clearTail();
      if (!poll) this.tailRun = null;
      this.polling = poll;
      try {
        await this.execute(trigger, poll, turn);
      } finally {
        this.currentInfo = null;
        this.polling = false;
      }
      return "ran";
    });
    if (outcome !== "busy") return outcome;
    if (trigger === "schedule") {
      // A tick during a tail poll is not worth a skipped run: the poll does what it would have.
      if (this.polling) this.logger.debug("schedule tick during a tail poll");
      else await this.report.skipped();
    }
    return "skipped";
  }

  private clearTail(): void {
    if (this.tailTimer) clearTimeout(this.tailTimer);
    this.tailTimer = null;
  }

  private assembled(): Promise<Job> {
    this.job ??= assembleJob(this.config, { store: this.store, logger: this.logger }).catch(
      (error) => {
        this.job = null;
        throw error;
      },
    );
    return this.job;
  }

  private async execute(trigger: RunTrigger, poll: boolean, { stop, abandon }: Turn) {
    const lease = this.lease as JobLease;
    this.currentInfo = { trigger, startedAt: new Date().toISOString(), progress: null };
    this.reported = null;
    const onLost = () => abandon.abort(lease.lost.reason);
    lease.lost.addEventListener("abort", onLost, { once: true });
    let result: EndedExecution | null = null;
    try {
      result = await executeOnce({
        config: this.config,
        job: await this.assembled(),
        store: this.store,
        logger: this.logger,
        trigger,
        fence: lease.fence,
        stop: stop.signal,
        abandon: abandon.signal,
        poll: poll ? { into: foldTarget(this.tailRun) } : undefined,
        // Tail polls leave the stream to the executions on the SCHEDULE: once a period is enough.
        notices: poll ? undefined : this.streamHealth(stop.signal),
        onProgress: (progress) => {
          if (this.currentInfo) this.currentInfo.progress = progress;
          this.observer.progress(this.id, progress, this.reported);
          this.reported = progress;
        },
      });
    } catch (error) {
      this.tailRun = null;
      await this.couldNotRun(error);
      return;
    } finally {
      lease.lost.removeEventListener("abort", onLost);
    }
    if (poll) this.tailRun = result.tailRun;
    // A commit refused by the fence: the lease is lost now, whatever the renewals say.
    if (result.leaseLost && !lease.lost.aborted) {
      lease.found(new LeaseLostError(result.error ?? "the lease was lost"));
    }
    await this.ended(trigger, result);
  }

  /** Nothing was committed: the store failed, or another replica has the job now. */
  private async couldNotRun(error: unknown): Promise<void> {
    // Not a failure of the export: another replica has the job now, and this one steps back.
    if (error instanceof LeaseLostError) {
      this.logger.warn(describe(error));
      this.lease?.found(error);
      return;
    }
    await this.report.couldNotRun(error);
  }

  private async ended(trigger: RunTrigger, result: EndedExecution): Promise<void> {
    await this.report.ended(trigger, result, this.schedule.periodStart);
    if (result.replayed && !this.stopping) {
      // The replay waits for no schedule tick: start re-sending from it as soon as this ends.
      setImmediate(() => void this.tick("replay"));
      return;
    }
    if (this.config.tail.enabled && !this.stopping && result.outcome === "success") {
      // Tailing: poll again shortly. After a failure the schedule paces the next attempt instead.
      this.clearTail();
      this.tailTimer = setTimeout(() => void this.poll(), this.config.tail.intervalMs);
    }
  }

  /** The Log Stream's health read beside a sweep (stream-health.ts); undefined without LOG_STREAM_ID. */
  private streamHealth(signal: AbortSignal): Promise<string[]> | undefined {
    if (!this.config.logStream?.id) return undefined;
    this.logStreams ??= new LogStreamsClient({
      ...this.config.auth0,
      store: this.store.tokens,
      requestTimeoutMs: this.config.requestTimeoutMs,
    });
    return checkStreamHealth(
      {
        config: { id: this.id, logStream: this.config.logStream },
        client: this.logStreams,
        store: this.store,
        observer: this.observer,
        notifier: this.notifier,
        logger: this.logger,
      },
      signal,
    );
  }

  /** The pending dead letters, for the metric. */
  countDeadLetters(): Promise<void> {
    return this.report.countDeadLetters();
  }

  /** Re-sends dead letters through this job's sink (the dashboard's button). */
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

  /** Which sink the job writes to, fit to show, once it has been contacted. */
  async sinkInfo(): Promise<SinkInfo | null> {
    return (await this.job?.catch(() => null))?.sink.info ?? null;
  }

  /** Another process took the job: stop at once, without waiting, and do not start again. */
  private async leaseLost(): Promise<void> {
    if (this.stopping) return;
    this.logger.error(`stopped exporting: ${describe(this.lease?.lost.reason)}`);
    await this.stop(0);
  }

  /**
   * Stops scheduling; lets the batch in flight finish within `graceMs`, then abandons it; closes
   * the job's connections. The lease is the supervisor's to release.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.schedule.stop();
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.clearTail();
    const verifying = this.verification.stop();
    const current = this.turns.current;
    if (current) {
      current.stop.abort();
      const timer = setTimeout(() => current.abandon.abort(), graceMs);
      await current.done;
      clearTimeout(timer);
    }
    await verifying;
    await (await this.job?.catch(() => null))?.close();
    this.job = null;
    await this.logStreams?.close();
    this.logStreams = null;
    this.observer.forget(this.id);
  }

  async lastRun(): Promise<RunRecord | null> {
    return (await this.store.runs.list({ limit: 1 }))[0] ?? null;
  }
}
