// The default store: one SQLite file through node:sqlite. Every commit is one transaction, so the
// checkpoint and the run's counts move together or not at all. WAL with synchronous=NORMAL survives
// any process crash; a power cut may lose the last commits, which only means re-sending them.

import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { CheckpointMovedError, describe, LeaseLostError, StoreError } from "../../errors.ts";
import type {
  CachedToken,
  Checkpoint,
  CheckpointMove,
  CheckpointState,
  CommitStep,
  DeadLetter,
  DeadLetterState,
  Fence,
  LeaseClaim,
  LeaseHolder,
  Rejection,
  RunOutcome,
  RunRecord,
  RunTrigger,
  Store,
} from "../../interfaces.ts";
import * as deadLetters from "./dead-letters.ts";
import * as leases from "./leases.ts";
import { migrations } from "./schema.ts";

/** Runs listed at most at once, whatever a caller asks (a negative LIMIT means all in SQLite). */
const MAX_LIST = 10_000;

interface RunRow {
  id: number;
  trigger: string;
  started_at: string;
  ended_at: string | null;
  outcome: string;
  read: number;
  sent: number;
  filtered: number;
  rejected: number;
  batches: number;
  retries: number;
  first_checkpoint: string | null;
  last_checkpoint: string | null;
  warnings: string;
  error: string | null;
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    trigger: row.trigger as RunTrigger,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome as RunOutcome,
    read: row.read,
    sent: row.sent,
    filtered: row.filtered,
    rejected: row.rejected,
    batches: row.batches,
    retries: row.retries,
    firstCheckpoint: row.first_checkpoint,
    lastCheckpoint: row.last_checkpoint,
    warnings: JSON.parse(row.warnings) as string[],
    error: row.error,
  };
}

export class SqliteStore implements Store {
  readonly path: string;
  private db: DatabaseSync;
  /** Inode of the file opened, to notice it being deleted or replaced under us. */
  private inode: number | null = null;

  constructor(path: string) {
    this.path = path === ":memory:" ? path : resolve(path);
    this.db = this.open();
  }

  private open(): DatabaseSync {
    try {
      if (this.path !== ":memory:") this.createOwnerOnly();
      const db = new DatabaseSync(this.path);
      this.db = db;
      db.exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;",
      );
      this.migrate();
      this.inode = this.path === ":memory:" ? null : statSync(this.path).ino;
      return db;
    } catch (error) {
      throw this.failure("opened", error);
    }
  }

  /**
   * The store holds a Management API token: the folder we create and the file are the owner's
   * alone. SQLite gives its -wal and -shm files the main file's permissions.
   */
  private createOwnerOnly(): void {
    const folder = dirname(this.path);
    if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!existsSync(this.path)) closeSync(openSync(this.path, "a", 0o600));
    if ((statSync(this.path).mode & 0o077) !== 0) chmodSync(this.path, 0o600);
  }

  async verify(): Promise<void> {
    if (this.inode === null) return;
    let inode: number;
    try {
      inode = statSync(this.path).ino;
    } catch {
      // Writing on would go to a deleted file and vanish at the next start: refuse instead.
      throw new StoreError(
        `the store ${this.path} was deleted while in use; nothing is exported until it is restored (or the service restarted, which starts from START_FROM or the look-back)`,
        { retryable: false },
      );
    }
    if (inode !== this.inode) {
      // Restored from a backup, or replaced: read the file that is there now.
      this.db.close();
      this.open();
    }
  }

  private migrate(): void {
    const row = this.db.prepare("PRAGMA user_version").get() as { user_version: number };
    for (let version = row.user_version; version < migrations.length; version++) {
      this.transaction(() => {
        this.db.exec(migrations[version] as string);
        this.db.exec(`PRAGMA user_version = ${version + 1}`);
      });
    }
  }

  private failure(action: string, error: unknown): StoreError {
    const hint = action === "written" ? " (is the disk full or read-only?)" : "";
    return new StoreError(
      `the store ${this.path} could not be ${action}: ${describe(error)}${hint}`,
      {
        retryable: false,
        cause: error,
      },
    );
  }

  private transaction<T>(work: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  private run(action: string, sql: string, ...params: SQLInputValue[]) {
    try {
      return this.db.prepare(sql).run(...params);
    } catch (error) {
      throw this.failure(action, error);
    }
  }

  private get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    try {
      return this.db.prepare(sql).get(...params) as T | undefined;
    } catch (error) {
      throw this.failure("read", error);
    }
  }

  async getCheckpoint(): Promise<CheckpointState> {
    const row = this.get<{
      log_id: string | null;
      start_from_applied: string | null;
      updated_at: string | null;
    }>("SELECT log_id, start_from_applied, updated_at FROM checkpoint WHERE id = 1");
    return {
      checkpoint: row?.log_id ?? null,
      startFromApplied: row?.start_from_applied ?? null,
      updatedAt: row?.updated_at ?? null,
    };
  }

  async setCheckpoint(checkpoint: Checkpoint, move: CheckpointMove): Promise<void> {
    const now = new Date().toISOString();
    try {
      this.transaction(() => {
        const current = this.db.prepare("SELECT log_id FROM checkpoint WHERE id = 1").get() as {
          log_id: string | null;
        };
        if (move.kind === "start-from") {
          this.db
            .prepare(
              "UPDATE checkpoint SET log_id = ?, start_from_applied = ?, updated_at = ? WHERE id = 1",
            )
            .run(checkpoint, move.startFrom, now);
        } else {
          this.db
            .prepare("UPDATE checkpoint SET log_id = ?, updated_at = ? WHERE id = 1")
            .run(checkpoint, now);
        }
        this.db
          .prepare("INSERT INTO checkpoint_moves (at, from_id, to_id, reason) VALUES (?, ?, ?, ?)")
          .run(now, current.log_id, checkpoint, move.kind);
      });
    } catch (error) {
      throw this.failure("written", error);
    }
  }

  async commit(runId: number, expected: Checkpoint, step: CommitStep, fence: Fence | null) {
    const now = new Date().toISOString();
    if (step.checkpoint <= expected) {
      throw new StoreError(`refused to move the checkpoint backwards to ${step.checkpoint}`, {
        retryable: false,
      });
    }
    // Set inside the transaction's callback, which TypeScript cannot follow.
    let conflict = null as "lease" | "moved" | null;
    let reason = null as string | null;
    try {
      this.transaction(() => {
        // Fenced: a process that lost the lease (taken over while it was frozen) must not commit.
        if (fence && !leases.holdsLease(this.db, fence)) {
          conflict = "lease";
          return;
        }
        // Compare-and-set: a replay that moved the checkpoint meanwhile must not be overwritten.
        const result = this.db
          .prepare("UPDATE checkpoint SET log_id = ?, updated_at = ? WHERE id = 1 AND log_id = ?")
          .run(step.checkpoint, now, expected);
        if (result.changes !== 1) {
          conflict = "moved";
          reason = leases.lastMoveReason(this.db);
          return;
        }
        const { counts } = step;
        this.db
          .prepare(
            `UPDATE runs SET read = read + ?, sent = sent + ?, filtered = filtered + ?,
               rejected = rejected + ?, batches = batches + ?, last_checkpoint = ? WHERE id = ?`,
          )
          .run(
            counts.read,
            counts.sent,
            counts.filtered,
            counts.rejected,
            counts.batches,
            step.checkpoint,
            runId,
          );
        deadLetters.insertDeadLetters(this.db, runId, step.sink, step.deadLetters, now);
      });
    } catch (error) {
      throw this.failure("written", error);
    }
    if (conflict === "lease") {
      throw new LeaseLostError(
        "another process took this job over (its lease was lost): this execution stopped without committing",
      );
    }
    if (conflict === "moved") {
      throw new CheckpointMovedError(reason === "start-from" ? "a new START_FROM" : "a replay");
    }
  }

  async claimLease(
    holder: LeaseHolder,
    ttlMs: number,
    isStale: (other: LeaseHolder) => boolean,
  ): Promise<LeaseClaim> {
    try {
      return this.transaction(() => leases.claimLease(this.db, holder, ttlMs, isStale));
    } catch (error) {
      throw this.failure("written", error);
    }
  }

  async renewLease(fence: Fence, ttlMs: number): Promise<boolean> {
    try {
      return leases.renewLease(this.db, fence, ttlMs);
    } catch (error) {
      throw this.failure("written", error);
    }
  }

  async releaseLease(fence: Fence): Promise<void> {
    try {
      leases.releaseLease(this.db, fence);
    } catch (error) {
      throw this.failure("written", error);
    }
  }

  async deleteJob(key: string): Promise<void> {
    this.run("written", "DELETE FROM job WHERE key = ?", key);
  }

  private attempt<T>(action: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.failure(action, error);
    }
  }

  async listDeadLetters(query: { state: DeadLetterState; limit: number }): Promise<DeadLetter[]> {
    return this.attempt("read", () =>
      deadLetters.listDeadLetters(this.db, query.state, query.limit),
    );
  }

  async countDeadLetters(): Promise<{ pending: number; resolved: number }> {
    return this.attempt("read", () => deadLetters.countDeadLetters(this.db));
  }

  async getDeadLetters(ids: number[]): Promise<DeadLetter[]> {
    return this.attempt("read", () => deadLetters.getDeadLetters(this.db, ids));
  }

  async retriedDeadLetters(outcomes: { id: number; rejection: Rejection | null }[]): Promise<void> {
    const now = new Date().toISOString();
    this.attempt("written", () =>
      this.transaction(() => deadLetters.recordRetries(this.db, outcomes, now)),
    );
  }

  async deleteDeadLetters(which: number[] | "resolved"): Promise<number> {
    return this.attempt("written", () => deadLetters.deleteDeadLetters(this.db, which));
  }

  async getJob(key: string): Promise<string | null> {
    return this.get<{ value: string }>("SELECT value FROM job WHERE key = ?", key)?.value ?? null;
  }

  async setJob(key: string, value: string): Promise<void> {
    this.run(
      "written",
      `INSERT INTO job (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      key,
      value,
      new Date().toISOString(),
    );
  }

  async recordRun(run: Omit<RunRecord, "id">): Promise<number> {
    const result = this.run(
      "written",
      `INSERT INTO runs (trigger, started_at, ended_at, outcome, read, sent, filtered, rejected,
         batches, retries, first_checkpoint, last_checkpoint, warnings, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      run.trigger,
      run.startedAt,
      run.endedAt,
      run.outcome,
      run.read,
      run.sent,
      run.filtered,
      run.rejected,
      run.batches,
      run.retries,
      run.firstCheckpoint,
      run.lastCheckpoint,
      JSON.stringify(run.warnings),
      run.error,
    );
    return Number(result.lastInsertRowid);
  }

  async pruneRuns(before: string): Promise<number> {
    const result = this.run(
      "written",
      "DELETE FROM runs WHERE started_at < ? AND outcome != 'running'",
      before,
    );
    return Number(result.changes);
  }

  async getToken(key: string): Promise<CachedToken | null> {
    const row = this.get<{ access_token: string; expires_at: number }>(
      "SELECT access_token, expires_at FROM tokens WHERE key = ?",
      key,
    );
    return row ? { accessToken: row.access_token, expiresAt: row.expires_at } : null;
  }

  async putToken(key: string, token: CachedToken): Promise<void> {
    this.run(
      "written",
      `INSERT INTO tokens (key, access_token, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET access_token = excluded.access_token, expires_at = excluded.expires_at`,
      key,
      token.accessToken,
      token.expiresAt,
    );
  }

  async startRun(trigger: RunTrigger, checkpoint: Checkpoint | null): Promise<number> {
    const result = this.run(
      "written",
      `INSERT INTO runs (trigger, started_at, outcome, first_checkpoint, last_checkpoint)
       VALUES (?, ?, 'running', ?, ?)`,
      trigger,
      new Date().toISOString(),
      checkpoint,
      checkpoint,
    );
    return Number(result.lastInsertRowid);
  }

  async finishRun(
    runId: number,
    end: { outcome: RunOutcome; retries: number; warnings: string[]; error: string | null },
  ): Promise<void> {
    this.run(
      "written",
      "UPDATE runs SET ended_at = ?, outcome = ?, retries = ?, warnings = ?, error = ? WHERE id = ?",
      new Date().toISOString(),
      end.outcome,
      end.retries,
      JSON.stringify(end.warnings),
      end.error,
      runId,
    );
  }

  async getRun(runId: number): Promise<RunRecord | null> {
    const row = this.get<RunRow>("SELECT * FROM runs WHERE id = ?", runId);
    return row ? toRun(row) : null;
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    try {
      const rows = this.db
        .prepare("SELECT * FROM runs ORDER BY id DESC LIMIT ?")
        .all(Math.min(MAX_LIST, Math.max(0, Math.floor(limit)))) as unknown as RunRow[];
      return rows.map(toRun);
    } catch (error) {
      throw this.failure("read", error);
    }
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
