// Public types shared by the stages. Each stage (source, pipeline, sink, store, notifier) meets the
// others only through these, so that the runner is the one place that orders read, send, commit.

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
}

export interface Source {
  /** The URL of the first read from a checkpoint; later reads follow Page.next. */
  firstRead(from: Checkpoint): string;
  read(url: string, signal?: AbortSignal): Promise<Page>;
  /** Obtains a token (from the cache or Auth0): used by `check`. */
  authenticate(signal?: AbortSignal): Promise<void>;
}

/** The documents of one batch, shaped for the sink, and the checkpoint they complete. */
export interface Batch {
  documents: Record<string, unknown>[];
  /** The ids of the documents, in order (the sinks that support it use them as document ids). */
  ids: string[];
  /** Last log_id of the page this batch came from (including filtered-out events). */
  checkpoint: Checkpoint;
  read: number;
  filtered: number;
}

export interface Sink {
  /** Resolves only when the destination acknowledged every document of the batch. */
  send(batch: Batch, signal?: AbortSignal): Promise<void>;
  /** Sends an empty batch: proves reachability and credentials. */
  check(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export type RunTrigger = "manual" | "schedule" | "replay" | "tail";
export type RunOutcome = "running" | "success" | "failed" | "aborted" | "skipped";

export interface RunRecord {
  id: number;
  trigger: RunTrigger;
  startedAt: string;
  endedAt: string | null;
  outcome: RunOutcome;
  read: number;
  sent: number;
  filtered: number;
  batches: number;
  retries: number;
  firstCheckpoint: Checkpoint | null;
  lastCheckpoint: Checkpoint | null;
  warnings: string[];
  error: string | null;
}

export interface CachedToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
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

export interface Store {
  /** Checks that the store is still there and writable, before an execution sends anything. */
  verify(): Promise<void>;
  getCheckpoint(): Promise<CheckpointState>;
  /** Moves the checkpoint by replay or START_FROM, recording why; not a delivery commit. */
  setCheckpoint(checkpoint: Checkpoint, reason: CheckpointMove): Promise<void>;
  /**
   * Atomically moves the checkpoint from `expected` to the batch's after an acknowledged batch and
   * adds to the run's counts. Throws LeaseLostError when `fence` no longer matches the lease
   * (another process took the job over), and CheckpointMovedError when the stored checkpoint is
   * no longer `expected` (a replay moved it meanwhile): either way the execution must stop.
   */
  commit(
    runId: number,
    expected: Checkpoint,
    batch: Pick<Batch, "checkpoint" | "read" | "filtered">,
    sent: number,
    fence: Fence | null,
  ): Promise<void>;
  /**
   * Takes the job's lease for `ttlMs` (a new epoch), or renews it when `holder` has it already,
   * unless another holder has it unexpired and `isStale` does not prove that holder dead.
   */
  claimLease(
    holder: LeaseHolder,
    ttlMs: number,
    isStale: (other: LeaseHolder) => boolean,
  ): Promise<LeaseClaim>;
  /** Extends the lease; false when it is no longer this fence's (taken over meanwhile). */
  renewLease(fence: Fence, ttlMs: number): Promise<boolean>;
  releaseLease(fence: Fence): Promise<void>;
  deleteJob(key: string): Promise<void>;
  /** Small named values of the job: enabled, schedule, alert state. */
  getJob(key: string): Promise<string | null>;
  setJob(key: string, value: string): Promise<void>;
  /** A run record that is not an execution: a replay, a skipped tick. */
  recordRun(run: Omit<RunRecord, "id">): Promise<number>;
  /** Deletes finished runs that started before `before` (ISO time); returns how many. */
  pruneRuns(before: string): Promise<number>;
  getToken(key: string): Promise<CachedToken | null>;
  putToken(key: string, token: CachedToken): Promise<void>;
  startRun(trigger: RunTrigger, checkpoint: Checkpoint | null): Promise<number>;
  finishRun(
    runId: number,
    end: { outcome: RunOutcome; retries: number; warnings: string[]; error: string | null },
  ): Promise<void>;
  getRun(runId: number): Promise<RunRecord | null>;
  listRuns(limit: number): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export interface ExecutionEnd {
  ok: boolean;
  error: string | null;
  /** The run record, or null when the execution could not even start (store failure). */
  run: RunRecord | null;
}

export interface Notifier {
  /** Never throws and never waits on the destination: an export must not depend on Slack. */
  executionEnded(end: ExecutionEnd): Promise<void>;
  dailyReport(): Promise<void>;
  idle(): Promise<void>;
}

/** Why the checkpoint moved other than by delivery. */
export type CheckpointMove =
  | { kind: "start-from"; startFrom: string }
  | { kind: "replay" }
  | { kind: "initial"; lookbackMs: number };
