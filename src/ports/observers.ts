// What the runner tells about its work as it goes, to whoever measures it (the Prometheus metrics:
// metrics/prometheus.ts). The runner calls these ports and knows nothing of what they feed. An
// observer answers at once and never throws: the runner calls it in its own stride, mid-batch.

import type { ExecutionStats, JobId, RunCounts, RunOutcome } from "../interfaces.ts";

/** An execution that ended, as measured. */
export interface MeasuredExecution {
  outcome: RunOutcome;
  durationMs: number;
  stats: ExecutionStats;
  /** How far the checkpoint is behind now; null when unknown. */
  lagMs: number | null;
  /** The sink's side in labels: logstash or elasticsearch. */
  sink: string;
  /** The Management API bucket as the execution last saw it, and the share in force. */
  bucket?: { limit: number; remaining: number; refillPerSecond: number | null } | null;
  share?: number;
}

/** One job's executions, told by its runner (runner/job-runner.ts, runner/job-report.ts). */
export interface JobObserver {
  /** What an execution did so far (`progress`), and what its previous report said (`before`; null at its start). */
  progress(
    job: JobId,
    progress: RunCounts & { lagMs: number | null },
    before: RunCounts | null,
  ): void;
  ended(job: JobId, execution: MeasuredExecution): void;
  /** A schedule tick that fell during an execution: no execution, counted as skipped. */
  skipped(job: JobId): void;
  /** The store failed before anything was committed: counted as a failed execution. */
  couldNotRun(job: JobId): void;
  /** The dead letters waiting to be re-sent. */
  deadLetters(job: JobId, pending: number): void;
  /** When the job last caught up (epoch ms), as a replica taking it over finds it recorded. */
  lastSuccess(job: JobId, at: number): void;
  /** This replica no longer exports `job` (handed over, taken over, removed). */
  forget(job: JobId): void;
  /**
   * A push of the tenant's Log Stream accepted by the intake (any replica's, whoever holds the
   * lease): its events delivered, dropped as already delivered, left out by LOG_TYPES/LOG_LEVEL,
   * and refused (dead letters); `at`: when (epoch ms). Also told with no counts by the sweep, from
   * the store's record, so that a replica that took no push yet knows when the last one was.
   */
  pushed(
    job: JobId,
    counts: { delivered: number; duplicates: number; filtered: number; rejected: number },
    at: number,
  ): void;
  /** The Log Stream's status as the sweep read it (active, paused, suspended); null: unknown. */
  logStreamStatus(job: JobId, status: string | null): void;
  /** A scheduled verification ended (VERIFY_SCHEDULE): events missing at its end, and when (epoch ms). */
  verified(job: JobId, missing: number, at: number): void;
}

/** This replica's share of the jobs, told by the supervisor (runner/supervisor.ts). */
export interface ReplicaObserver {
  /** The jobs this deployment exports, whoever holds them; again after each reload. */
  configured(jobs: readonly { id: JobId; auth0LogRetentionMs: number }[]): void;
  /** This replica took `job`'s lease (at start, from a replica gone, or handed over). */
  tookOver(job: JobId): void;
  /** How many jobs this replica holds the lease of now. */
  held(count: number): void;
  /** A lease round (heartbeat, claims) completed now. */
  roundCompleted(): void;
}
