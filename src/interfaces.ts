// Public types shared by the stages. Each stage (source, pipeline, sink, store, notifier) meets the
// others only through these, so that the runner is the one place that orders read, send, commit.

import type { RetryContext } from "./util/retry.ts";

/**
 * How each event becomes a document: ecs (Elastic Common Schema), extension (the original
 * extension's fields) or log-streams ({log_id, data}). Shaped by the pipeline, sent by a sink.
 */
export type DocumentFormat = "extension" | "log-streams" | "ecs";

/** A 56-digit Auth0 log id used as the position from which to read on. */
export type Checkpoint = string;

/** One Auth0 log event as the Management API returned it; unknown fields are kept as they are. */
export interface LogEvent {
  log_id: string;
  _id?: string;
  type?: string;
  date?: string;
  [field: string]: unknown;
}

/** One page read from the source: events strictly newer than the checkpoint it was read from. */
export interface Page {
  events: LogEvent[];
  /** Where to read next (the Link rel="next" URL, checked); null when caught up. */
  next: string | null;
  /** True when this page was empty: the source has nothing newer right now. */
  caughtUp: boolean;
}

/** Counters that a stage reports about work done on behalf of one execution. */
export interface ExecutionStats {
  retries: { source: number; sink: number };
  rateLimited: { source: number; sink: number };
  /**
   * Auth0's own rate-limit events among those read (api_limit: a 429, api_limit_warning: a bucket
   * left under 20 %), by type: other clients, or this one, at the tenant's limits.
   */
  limitEvents?: Record<string, number>;
}

/** What each read carries: the execution's retry budget, counters and signal, and its warnings. */
export interface ReadContext extends RetryContext {
  warn?: ((message: string) => void) | undefined;
}

/** Built once per job and used by every execution: its pacing and connections outlive them. */
export interface Source {
  /** The URL of the first read from a checkpoint; later reads follow Page.next. */
  firstRead(from: Checkpoint): string;
  read(url: string, context: ReadContext): Promise<Page>;
  /**
   * Asks Auth0 for a new token with the configured credentials (never the cached one) and caches
   * it: used by `check`, which must prove the credentials work.
   */
  authenticate(context: ReadContext): Promise<void>;
  close(): Promise<void>;
}

/** How much an execution (or one batch of it) read, sent, left out and dead-lettered. */
export interface RunCounts {
  read: number;
  /** Acknowledged by the sink (for a sink with document ids: indexed, or found already indexed). */
  sent: number;
  /** Left out by LOG_TYPES / LOG_LEVEL. */
  filtered: number;
  /**
   * Left out by the sweep because the tenant's Log Stream (or an earlier push) already delivered
   * them; always 0 without a stream.
   */
  streamed: number;
  /** Refused by the sink for good and kept as dead letters. */
  rejected: number;
  batches: number;
}

export const NO_COUNTS: RunCounts = {
  read: 0,
  sent: 0,
  filtered: 0,
  streamed: 0,
  rejected: 0,
  batches: 0,
};

/** What a sink sends: documents shaped for it, and the Auth0 id of each (a document id, where the sink has them). */
export interface SinkBatch {
  documents: Record<string, unknown>[];
  ids: string[];
}

/** One page's work for the runner: the sink's payload and the page's bookkeeping. */
export interface PageBatch {
  payload: SinkBatch;
  /** Last log_id of the page (including filtered-out events): done with once committed. */
  checkpoint: Checkpoint;
  read: number;
  filtered: number;
  /** api_limit and api_limit_warning events of the page, by type, filtered or not. */
  limitEvents?: Record<string, number>;
}

/** A document the sink refused for good (a mapping conflict, say), with the sink's reason. */
export interface Rejection {
  id: string;
  status: number;
  reason: string;
  document: Record<string, unknown>;
}

/** The sink's answer to a batch: every document either delivered or rejected. */
export interface DeliveryReport {
  delivered: number;
  rejected: Rejection[];
}

/** What each call to a sink carries: the execution's retry budget, counters and abort signal. */
export type SendContext = RetryContext;

export interface SinkInfo {
  /** Its module's kind (sinks/index.ts): "logstash". */
  kind: string;
  /** Where it writes, fit to show (no credentials, no query). */
  target: string;
  /**
   * Batches it may have in flight at once (default 1): more than one only where a re-send cannot
   * duplicate a document, since every batch in flight is re-sent after a crash.
   */
  concurrency?: number;
}

export interface Sink {
  readonly info: SinkInfo;
  /**
   * Resolves once every document of the batch is either acknowledged (delivered) or refused for
   * good (rejected, with the reason); retries what is worth retrying itself, and throws when that
   * outlasts the context's budget. Never resolves with a document unaccounted for.
   */
  send(batch: SinkBatch, context: SendContext): Promise<DeliveryReport>;
  /** Proves reachability and credentials without writing a document; returns a detail to show. */
  check(context: SendContext): Promise<string | undefined>;
  /**
   * Those of `ids` (Auth0 log ids) the destination's index holds, for `verify`; absent when the
   * sink cannot tell (Logstash without VERIFY_ELASTICSEARCH_URL).
   */
  readonly lookup?: ((ids: string[], context: SendContext) => Promise<Set<string>>) | undefined;
  close(): Promise<void>;
}

/**
 * What started a run. "verify": `verify` compared a period with the index (moves nothing);
 * "repair": `verify --repair` re-sent what the index lacked (never moves the checkpoint either).
 */
/** "start": the execution `run` starts with, before the first SCHEDULE tick. */
export type RunTrigger = "manual" | "schedule" | "start" | "replay" | "tail" | "verify" | "repair";
/**
 * Whether a run is an execution (read, send, commit on the checkpoint): a replay, a verification
 * or a repair is recorded beside them, and counts neither as a success nor as a failure of one.
 */
export function isExecution(run: { trigger: RunTrigger }): boolean {
  const { trigger } = run;
  return (
    trigger === "manual" || trigger === "schedule" || trigger === "tail" || trigger === "start"
  );
}
/**
 * How a run ended. "interrupted": the process running it stopped (killed, frozen, cut off) before
 * it ended, and the process that took the job over next closed it. "skipped": a tick that fell
 * during an execution. "skipped-events": a replay that moved the checkpoint forward, on purpose
 * (`replay --skip`, or confirmed on the dashboard), past events not sent yet: they never will be.
 */
export const RUN_OUTCOMES = [
  "running",
  "success",
  "failed",
  "aborted",
  "skipped",
  "interrupted",
  "skipped-events",
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** One execution (or a replay, a skipped tick) as the run history keeps it. */
export interface RunRecord extends RunCounts {
  id: number;
  trigger: RunTrigger;
  startedAt: string;
  endedAt: string | null;
  outcome: RunOutcome;
  retries: number;
  firstCheckpoint: Checkpoint | null;
  lastCheckpoint: Checkpoint | null;
  warnings: string[];
  error: string | null;
  /** The lease it ran under: its holder and epoch (null for a run no lease covered). */
  holder: string | null;
  epoch: number | null;
  /**
   * The lowest and highest lease epoch the store had when the run's commits were made; both equal
   * `epoch` unless a commit slipped past the fence. Null before its first commit.
   */
  committedEpochs: { low: number; high: number } | null;
}

/** A run recorded whole (a skipped tick, a replay): no lease, no commits. */
export type RecordedRun = Omit<RunRecord, "id" | "holder" | "epoch" | "committedEpochs">;

export interface CachedToken {
  accessToken: string;
  /** Epoch milliseconds, whole. */
  expiresAt: number;
  /**
   * A salted, slow fingerprint of the domain, client id and secret that obtained the token (never
   * the secret): a token is reused only with the same credentials. Empty for tokens cached by
   * earlier versions, which are then not reused.
   */
  credentials: string;
}

export interface CheckpointState {
  checkpoint: Checkpoint | null;
  /** The START_FROM value last applied, so that an unchanged START_FROM is not applied again. */
  startFromApplied: string | null;
  updatedAt: string | null;
}

/** The process that holds a job's lease: only it exports the job. */
export interface LeaseHolder {
  /** Unique to one process instance. */
  id: string;
  host: string;
  pid: number;
  /** The command that holds it: run, once. */
  command: string;
  startedAt: string;
}

/** What a commit carries to prove its process still holds the lease it started with. */
export interface Fence {
  holder: string;
  epoch: number;
}

export type LeaseClaim =
  | { held: true; epoch: number }
  | { held: false; holder: LeaseHolder; expiresAt: number };

/**
 * Which job a store record belongs to. One word each, written down once: a *tenant* is what users
 * see (the tenants file, `--tenant`, the dashboard's routes, the metrics' `tenant` label); its
 * *job* is the same thing as the code runs and keeps it (JobConfig, JobStore, JobRunner,
 * JobStatus, the store's `job` columns). A job's id is its tenant's id, "default" for the one the
 * environment describes.
 */
export type JobId = string;

/** The job's checkpoint, and why it moved other than by delivery. */
export interface Checkpoints {
  get(): Promise<CheckpointState>;
  /**
   * Moves the checkpoint by replay, START_FROM or the first look-back, recording why; not a
   * delivery commit. Returns the checkpoint it replaced (`from`), and whether it moved: a replay
   * moves it forward (later than the stored one: past events not sent yet) only with `skip`,
   * decided in the same transaction as the move. With `fence` (an exporting process), in the same
   * transaction as its check: throws LeaseLostError, moving nothing, when the fence is no longer
   * the lease.
   */
  set(
    checkpoint: Checkpoint,
    reason: CheckpointMove,
    fence?: Fence | null,
  ): Promise<{ moved: boolean; from: Checkpoint | null }>;
  /**
   * Atomically moves the checkpoint from `expected` to the step's, adds to the run's counts and
   * stores the step's dead letters. Throws LeaseLostError when `fence` no longer matches the lease
   * (another process took the job over), CheckpointMovedError when a replay or a new START_FROM
   * moved the stored checkpoint from `expected` meanwhile, and CheckpointConflictError when
   * anything else did (another execution's commit): either way the execution must stop. Each
   * commit is recorded among the moves, with its run, holder and the lease's epoch.
   */
  commit(runId: number, expected: Checkpoint, step: CommitStep, fence: Fence | null): Promise<void>;
  /** The latest move other than a commit (a replay, START_FROM), so a holder notices one made elsewhere. */
  lastMove(): Promise<{ id: number; reason: string } | null>;
  /** The latest moves, commits included, newest first. */
  moves(limit: number): Promise<CheckpointMoveRecord[]>;
}

export interface RunQuery {
  limit: number;
  outcome?: RunOutcome | undefined;
  /** Runs started at or after this ISO time. */
  since?: string | undefined;
}

/** The job's run history. */
export interface RunLog {
  start(trigger: RunTrigger, checkpoint: Checkpoint | null, fence: Fence | null): Promise<number>;
  finish(
    runId: number,
    end: { outcome: RunOutcome; retries: number; warnings: string[]; error: string | null },
  ): Promise<void>;
  /** A run record that is not an execution: a replay, a skipped tick. */
  record(run: RecordedRun): Promise<number>;
  get(runId: number): Promise<RunRecord | null>;
  /** Newest first. */
  list(query: RunQuery): Promise<RunRecord[]>;
  /** Events sent per hour (UTC) from `since` on, for the dashboard's chart: 24 numbers. */
  sentPerHour(since: string): Promise<number[]>;
  /** Deletes finished runs that started before `before` (ISO time); returns how many. */
  prune(before: string): Promise<number>;
}

/** Small named values of the job: enabled, schedule, alert state, requests from other replicas. */
export interface JobState {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface TokenCache {
  get(key: string): Promise<CachedToken | null>;
  put(key: string, token: CachedToken): Promise<void>;
}

/** Documents the sink refused for good: kept until re-sent or deleted on request. */
export interface DeadLetters {
  /**
   * Stores refused documents on their own, in one transaction, moving no checkpoint: for what sends
   * without one (a push intake, whose sender already holds its own position). An execution's are
   * stored by its commit instead (`Checkpoints.commit`), with the checkpoint past them. A letter for
   * an event that has one already takes the new reason and is pending again.
   */
  add(
    rejections: Rejection[],
    origin: {
      /** The sink that refused them, as SinkInfo.target. */
      sink: string;
      /** The run they were refused in; null (the default) for none. */
      runId?: number | null;
    },
  ): Promise<void>;
  list(query: { state: DeadLetterState; limit: number }): Promise<DeadLetter[]>;
  count(): Promise<Record<Exclude<DeadLetterState, "all">, number>>;
  get(ids: number[]): Promise<DeadLetter[]>;
  /** Records a re-send: delivered letters are resolved, refused ones get the new reason. */
  retried(outcomes: { id: number; rejection: Rejection | null }[]): Promise<void>;
  /** Deletes the given letters, or every resolved one; returns how many. */
  delete(which: number[] | "resolved"): Promise<number>;
}

/** By which way an event reached the sink: pushed by the tenant's Log Stream, or read by the sweep (the checkpoint pull). */
export type DeliveryPath = "stream" | "sweep";

/**
 * The tenant's record of the events delivered recently, kept only when it has a Log Stream: both
 * paths consult it before sending, so that the sweep does not send again what the stream
 * delivered, nor the stream what the sweep (or an earlier push) did. Shared by every replica.
 * Bounded: ids older than the sweep needs are pruned (their time is in them).
 */
export interface DeliveredIds {
  /** Those of `ids` recorded as delivered. */
  known(ids: string[]): Promise<Set<string>>;
  /**
   * Records what one push delivered, and stores what the sink refused (or the intake refused) as
   * dead letters, in one transaction, moving no checkpoint. The sweep's are recorded by its
   * commit instead (CommitStep.delivered), in the commit's transaction.
   */
  record(
    delivered: string[],
    path: DeliveryPath,
    deadLetters?: { rejections: Rejection[]; sink: string },
  ): Promise<void>;
  /** Events recorded by each path at or after `since` (ISO time), and the stream's latest. */
  summary(since: string): Promise<{ stream: number; sweep: number; lastPushAt: string | null }>;
  /** Forgets the ids lower than `before` (a log id); returns how many. */
  prune(before: Checkpoint): Promise<number>;
  /**
   * Holds `ids` for this process's delivery of them, once no other delivery here holds any: from
   * before `known` until recorded, so that two copies of an event on their way at the same instant
   * (a push and the sweep, two pushes) are sent once. Resolves with the release; rejects
   * (AbortedError) when `signal` aborts first. Across replicas, the record alone decides.
   */
  claim(ids: readonly string[], signal?: AbortSignal): Promise<() => void>;
}

/** The job's lease: one process exports the job at a time; commits are fenced by its epoch. */
export interface Leases {
  /**
   * Takes the lease for `ttlMs` (a new epoch), or renews it when `holder` has it already, unless
   * another holder has it unexpired and `isStale` does not prove that holder dead.
   */
  claim(
    holder: LeaseHolder,
    ttlMs: number,
    isStale: (other: LeaseHolder) => boolean,
  ): Promise<LeaseClaim>;
  /** Extends the lease; false when it is no longer this fence's (taken over meanwhile). */
  renew(fence: Fence, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once, keeping its epoch so that the old fence never matches again. */
  release(fence: Fence): Promise<void>;
  /** Who holds the lease now, if anyone (expired leases are no one's). */
  holder(): Promise<{ holder: LeaseHolder; epoch: number } | null>;
}

/** Everything the store keeps about one job, each concern behind its own narrow port. */
export interface JobStore {
  readonly job: JobId;
  /** Checks that the store is reachable and writable, before an execution sends anything. */
  verify(): Promise<void>;
  readonly checkpoints: Checkpoints;
  readonly runs: RunLog;
  readonly state: JobState;
  readonly tokens: TokenCache;
  readonly deadLetters: DeadLetters;
  readonly leases: Leases;
  readonly delivered: DeliveredIds;
}

/** A dashboard session, shared by every replica so that any of them can serve its user. */
export interface StoredSession {
  user: string;
  csrf: string;
  expiresAt: number;
}

/** What the store keeps for the process (every replica) rather than for a job. */
export interface ProcessState {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  /** Sets the value unless one is there already (replicas starting together). */
  setIfAbsent(key: string, value: string): Promise<void>;
  getSession(idHash: string): Promise<StoredSession | null>;
  putSession(idHash: string, session: StoredSession): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
}

/** The replicas sharing the store, by heartbeat: how many there are decides each one's share. */
export interface Replicas {
  heartbeat(replica: LeaseHolder, ttlMs: number): Promise<void>;
  /**
   * The replicas seen within their ttl, this one included; with `recent`, only those that
   * heartbeated within `heardWithinMs` (heartbeats last `ttlMs`).
   */
  live(recent?: { heardWithinMs: number; ttlMs: number }): Promise<LeaseHolder[]>;
  /** Every job held by a live lease, with its holder. */
  leases(): Promise<Map<JobId, LeaseHolder>>;
  leave(replica: LeaseHolder): Promise<void>;
}

export interface Store {
  /** Its driver (store/index.ts): "sqlite". */
  readonly kind: string;
  /**
   * Whether replicas on other machines may share it (PostgreSQL): they then share its jobs, each
   * claiming a share by lease, with short leases for a quick takeover. When not (SQLite, one file on
   * one machine), one process exports all of its jobs and a second refuses to start.
   */
  readonly sharedByReplicas: boolean;
  /** Where it is, for people (no credentials). */
  readonly shown: string;
  forJob(job: JobId): JobStore;
  readonly process: ProcessState;
  readonly replicas: Replicas;
  /** Checks that the store is reachable and writable, before an execution sends anything. */
  verify(): Promise<void>;
  close(): Promise<void>;
}

/** What one acknowledged page moves, in one transaction: the checkpoint, the counts, the dead letters. */
export interface CommitStep {
  checkpoint: Checkpoint;
  counts: RunCounts;
  deadLetters: Rejection[];
  /** The sink the dead letters were refused by, as SinkInfo.target. */
  sink: string;
  /**
   * With a Log Stream: the ids this batch delivered, recorded (path "sweep") in the commit's
   * transaction, so that the stream's later copies of them are dropped.
   */
  delivered?: string[] | undefined;
}

export type DeadLetterState = "pending" | "resolved" | "all";

/** A document a sink refused for good: kept, with why, until the user re-sends or deletes it. */
export interface DeadLetter {
  id: number;
  logId: string;
  runId: number | null;
  sink: string;
  status: number;
  reason: string;
  document: Record<string, unknown>;
  createdAt: string;
  attempts: number;
  lastTriedAt: string | null;
  resolvedAt: string | null;
}

export interface ExecutionEnd {
  ok: boolean;
  error: string | null;
  /** The run record, or null when the execution could not even start (store failure). */
  run: RunRecord | null;
  /** A success is posted only if none was since this time (epoch ms): tailing, once a period. */
  successSince?: number | undefined;
}

export interface Notifier {
  /** Never throws and never waits on the destination: an export must not depend on Slack. */
  executionEnded(end: ExecutionEnd): Promise<void>;
  dailyReport(): Promise<void>;
  /**
   * The store cannot be reached (`down`), or can again (`back`): a process-wide event, told once
   * per destination (`channel`) rather than once per tenant.
   */
  storeStatus(change: { down: true; error: string } | { down: false; forMs: number }): void;
  /**
   * The tenant's Log Stream left `active` (one message per episode, whatever the sweeps read until
   * it is active again), or is active again after `forMs`. Never throws, never waits.
   */
  logStreamChanged(change: LogStreamChange): void;
  /**
   * A scheduled verification found events missing from the index (after its repair, with
   * VERIFY_REPAIR) where the one before found none: told once per episode. Never throws, never waits.
   */
  eventsMissing(found: MissingEvents): void;
  /** Where messages go, to tell destinations apart (no secret: a digest); null: nowhere. */
  readonly channel: string | null;
  idle(): Promise<void>;
}

/** What a scheduled verification found missing, as Slack is told it. */
export interface MissingEvents {
  missing: number;
  /** The period verified (ISO 8601). */
  from: string;
  until: string;
  /** Re-sent by VERIFY_REPAIR; null without it. */
  repaired: number | null;
  /** The index, for people. */
  target: string;
  runId: number;
}

/** A Log Stream's episode, as Slack is told it (runner/stream-health.ts decides). */
export type LogStreamChange =
  | { active: false; id: string; status: string; resumed: boolean; warning: string }
  | { active: true; id: string; forMs: number };

/** A move of the checkpoint other than a delivery, as the store records it. */
export interface CheckpointMoveRecord {
  id: number;
  at: string;
  from: Checkpoint | null;
  to: Checkpoint;
  reason: CheckpointMove["kind"];
  /** The lease holder that moved it; null when not moved by an exporting process (a replay). */
  holder: string | null;
  /** The job's lease epoch in the store when it moved (not the mover's belief); null: no lease. */
  epoch: number | null;
}

/** Why the checkpoint moved other than by delivery. */
export type CheckpointMove =
  | { kind: "start-from"; startFrom: string }
  /** `skip`: may move it forward, past events not sent yet, which are then never sent. */
  | { kind: "replay"; skip?: boolean }
  | { kind: "initial"; lookbackMs: number };
