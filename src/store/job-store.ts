// A job's narrow ports over any Db: the same statements serve SQLite and PostgreSQL. Errors of the
// driver become StoreErrors naming the store; conflicts of a commit become the errors the runner
// tells apart (a lost lease: stop; a replay: start again from it).

import {
  CheckpointConflictError,
  CheckpointMovedError,
  describe,
  LeaseLostError,
  StoreError,
} from "../errors.ts";
import type { JobId, JobStore, ProcessState, Replicas } from "../interfaces.ts";
import { IdClaims } from "../util/id-claims.ts";
import type { Db } from "./db.ts";
import { commitBatch, type LastMove } from "./sql/commit-batch.ts";
import * as deadLetters from "./sql/dead-letters.ts";
import * as delivered from "./sql/delivered-ids.ts";
import { getCheckpoint } from "./sql/get-checkpoint.ts";
import * as leases from "./sql/leases.ts";
import { lastMove, listMoves, moveCheckpoint } from "./sql/move-checkpoint.ts";
import * as runs from "./sql/runs.ts";
import * as sessions from "./sql/sessions.ts";
import * as values from "./sql/values.ts";

const now = () => new Date().toISOString();

/**
 * SQLite's primary result codes of a file that cannot be written: PERM, READONLY, IOERR, CORRUPT,
 * FULL, CANTOPEN, NOTADB.
 */
const SQLITE_IO = new Set([3, 8, 10, 11, 13, 14, 26]);
/** SQLSTATEs of a server or connection in trouble: connection, resources, operator, system. */
const POSTGRES_IO = /^(08|53|57|58|XX)|^25006$/;
/** Node's own codes for a disk or a connection that failed. */
const SYSTEM_IO =
  /^(ENOSPC|EROFS|EACCES|EPERM|EIO|EDQUOT|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;

/**
 * Whether a driver's failure is the disk's or the connection's, where "is the disk full or
 * read-only" may be the answer. A value the database refused (out of range, a constraint) is not.
 */
export function isIoFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code === "ERR_SQLITE_ERROR")
    return typeof errcode === "number" && SQLITE_IO.has(errcode & 0xff);
  if (typeof code === "string") return POSTGRES_IO.test(code) || SYSTEM_IO.test(code);
  // pg's own errors of a lost or unreachable server carry no code, only these words.
  return /connection|terminated|timeout/i.test(error.message);
}

/** SQLite's SQLITE_FULL, PostgreSQL's disk_full, or the system's ENOSPC. */
function diskFull(error: unknown): boolean {
  const { errcode, code } = (error ?? {}) as { errcode?: unknown; code?: unknown };
  return (
    (typeof errcode === "number" && (errcode & 0xff) === 13) ||
    code === "53100" ||
    code === "ENOSPC"
  );
}

/** Wraps a driver's failure as a StoreError that names the store and says what failed. */
export function storeFailure(shown: string, action: "read" | "written", error: unknown) {
  if (error instanceof StoreError) return error;
  const hint = diskFull(error)
    ? " (disk full: free space on the store's volume; the next execution resumes from the checkpoint)"
    : action === "written" && isIoFailure(error)
      ? " (is the disk full or read-only, or the database down?)"
      : "";
  return new StoreError(`the store ${shown} could not be ${action}: ${describe(error)}${hint}`, {
    retryable: false,
    cause: error,
  });
}

/** Every method of `ports` with its failures turned into StoreErrors. */
function guarded<T extends object>(shown: string, ports: T, writes: readonly string[]): T {
  const out = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(ports)) {
    const action = writes.includes(name) ? "written" : "read";
    out[name] = async (...args: unknown[]) => {
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        if (
          error instanceof LeaseLostError ||
          error instanceof CheckpointMovedError ||
          error instanceof CheckpointConflictError
        )
          throw error;
        throw storeFailure(shown, action, error);
      }
    };
  }
  return out as T;
}

/**
 * Why a commit's compare-and-set failed: a replay or a new START_FROM is to be let stand (the
 * execution starts again from it), when it is what left the checkpoint where it is now; anything
 * else (another execution's commit since, or its start) is a conflict.
 */
function movedError(moved: LastMove & { current: string | null }): Error {
  const standing = moved.to !== null && moved.to === moved.current;
  if (standing && moved.reason === "replay") return new CheckpointMovedError("a replay");
  if (standing && moved.reason === "start-from") {
    return new CheckpointMovedError("a new START_FROM");
  }
  if (standing && moved.reason === "initial") {
    return new CheckpointConflictError("another execution's start");
  }
  const run = moved.committer ? ` of run ${moved.committer.runId}` : "";
  const epoch = moved.committer?.epoch == null ? "" : ` under lease epoch ${moved.committer.epoch}`;
  return new CheckpointConflictError(`another execution's commit${run}${epoch}`);
}

/** Each job's ids being delivered by this process, per database (every JobStore of it). */
const claims = new WeakMap<Db, Map<JobId, IdClaims>>();

function claimsOf(db: Db, job: JobId): IdClaims {
  const jobs = claims.get(db) ?? new Map<JobId, IdClaims>();
  claims.set(db, jobs);
  const held = jobs.get(job) ?? new IdClaims();
  jobs.set(job, held);
  return held;
}

export function jobStore(db: Db, job: JobId, shown: string, verify: () => Promise<void>): JobStore {
  const checkpoints = {
    get: () => getCheckpoint(db, job),
    async set(...[to, move, fence]: Parameters<JobStore["checkpoints"]["set"]>) {
      const result = await moveCheckpoint(db, job, to, move, now(), fence ?? null);
      if (result.kind === "lease") {
        throw new LeaseLostError(
          "another process took this job over (its lease was lost): the checkpoint was not moved",
        );
      }
      return { moved: result.kind === "moved", from: result.from };
    },
    async commit(...[runId, expected, step, fence]: Parameters<JobStore["checkpoints"]["commit"]>) {
      if (step.checkpoint <= expected) {
        throw new StoreError(`refused to move the checkpoint backwards to ${step.checkpoint}`, {
          retryable: false,
        });
      }
      const conflict = await commitBatch(db, job, runId, expected, step, fence, now());
      if (conflict?.kind === "lease") {
        throw new LeaseLostError(
          "another process took this job over (its lease was lost): this execution stopped without committing",
        );
      }
      if (conflict?.kind === "moved") throw movedError(conflict);
    },
    lastMove: () => lastMove(db, job),
    moves: (limit: number) => listMoves(db, job, limit),
  };
  return {
    job,
    verify,
    checkpoints: guarded(shown, checkpoints, ["set", "commit"]),
    runs: guarded(
      shown,
      {
        async start(...a: Parameters<JobStore["runs"]["start"]>) {
          const id = await runs.startRun(db, job, ...a, now());
          if (id === null) {
            throw new LeaseLostError(
              "another process took this job over (its lease was lost): no execution was started",
            );
          }
          return id;
        },
        finish: (...a: Parameters<JobStore["runs"]["finish"]>) =>
          runs.finishRun(db, job, ...a, now()),
        record: (run: Parameters<JobStore["runs"]["record"]>[0]) => runs.recordRun(db, job, run),
        get: (runId: number) => runs.getRun(db, job, runId),
        list: (query: Parameters<JobStore["runs"]["list"]>[0]) => runs.listRuns(db, job, query),
        sentPerHour: (since: string) => runs.sentPerHour(db, job, since),
        prune: (before: string) => runs.pruneRuns(db, job, before),
      },
      ["start", "finish", "record", "prune"],
    ),
    state: guarded(
      shown,
      {
        get: (key: string) => values.getJobValue(db, job, key),
        set: (key: string, value: string) => values.setJobValue(db, job, key, value, now()),
        delete: (key: string) => values.deleteJobValue(db, job, key),
      },
      ["set", "delete"],
    ),
    tokens: guarded(
      shown,
      {
        get: (key: string) => values.getToken(db, job, key),
        put: (key: string, token: Parameters<JobStore["tokens"]["put"]>[1]) =>
          values.putToken(db, job, key, token),
      },
      ["put"],
    ),
    deadLetters: guarded(
      shown,
      {
        add: (...a: Parameters<JobStore["deadLetters"]["add"]>) =>
          deadLetters.addDeadLetters(db, job, ...a, now()),
        list: (query: Parameters<JobStore["deadLetters"]["list"]>[0]) =>
          deadLetters.listDeadLetters(db, job, query.state, query.limit),
        count: () => deadLetters.countDeadLetters(db, job),
        get: (ids: number[]) => deadLetters.getDeadLetters(db, job, ids),
        retried: (outcomes: Parameters<JobStore["deadLetters"]["retried"]>[0]) =>
          deadLetters.recordRetries(db, job, outcomes, now()),
        delete: (which: number[] | "resolved") => deadLetters.deleteDeadLetters(db, job, which),
      },
      ["add", "retried", "delete"],
    ),
    delivered: {
      ...guarded(
        shown,
        {
          known: (ids: string[]) => delivered.knownIds(db, job, ids),
          record: (...a: Parameters<JobStore["delivered"]["record"]>) =>
            delivered.recordDelivered(db, job, a[0], a[1], a[2], now()),
          summary: (since: string) => delivered.deliveredSummary(db, job, since),
          prune: (before: string) => delivered.pruneDelivered(db, job, before),
        },
        ["record", "prune"],
      ),
      // In memory, not in the database: every JobStore of this Db shares the job's claims.
      claim: (ids: readonly string[], signal?: AbortSignal) => claimsOf(db, job).claim(ids, signal),
    },
    leases: guarded(
      shown,
      {
        claim: (...a: Parameters<JobStore["leases"]["claim"]>) =>
          leases.claimLease(db, job, ...a, now()),
        renew: (...a: Parameters<JobStore["leases"]["renew"]>) => leases.renewLease(db, job, ...a),
        release: (fence: Parameters<JobStore["leases"]["release"]>[0]) =>
          leases.releaseLease(db, job, fence),
        holder: () => leases.leaseHolder(db, job),
      },
      ["claim", "renew", "release"],
    ),
  };
}

export function processState(db: Db, shown: string): ProcessState {
  return guarded(
    shown,
    {
      get: (key: string) => values.getProcessValue(db, key),
      set: (key: string, value: string) => values.setProcessValue(db, key, value, now()),
      setIfAbsent: (key: string, value: string) =>
        values.setProcessValueIfAbsent(db, key, value, now()),
      getSession: (idHash: string) => sessions.getSession(db, idHash),
      putSession: (idHash: string, session: Parameters<ProcessState["putSession"]>[1]) =>
        sessions.putSession(db, idHash, session),
      deleteSession: (idHash: string) => sessions.deleteSession(db, idHash),
    },
    ["set", "setIfAbsent", "putSession", "deleteSession"],
  );
}

export function replicas(db: Db, shown: string): Replicas {
  return guarded(
    shown,
    {
      heartbeat: (...a: Parameters<Replicas["heartbeat"]>) => leases.heartbeat(db, ...a),
      live: (recent?: Parameters<Replicas["live"]>[0]) => leases.liveReplicas(db, recent),
      leases: () => leases.liveLeases(db),
      leave: (replica: Parameters<Replicas["leave"]>[0]) => leases.leaveReplicas(db, replica),
    },
    ["heartbeat", "leave"],
  );
}
