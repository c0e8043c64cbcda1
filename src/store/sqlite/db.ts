// node:sqlite behind the Db seam. Its calls are synchronous, so a statement cannot interleave with
// another; a transaction, though, awaits between its statements, and other code (another job's
// commit, a dashboard request) could run statements inside it. Transactions therefore take a lock
// that every statement outside them waits for.

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { Db, Param } from "../db.ts";

const RETURNING = /\bRETURNING\b/i;

export class SqliteDb implements Db {
  readonly dialect = "sqlite" as const;
  private readonly db: () => DatabaseSync;
  /** A transaction is under way: statements outside it wait (they run synchronously after). */
  private busy = false;
  private waiters: (() => void)[] = [];
  private readonly inTransaction: boolean;

  constructor(db: () => DatabaseSync, inTransaction = false) {
    this.db = db;
    this.inTransaction = inTransaction;
  }

  /**
   * Another transaction is under way: wait. Callers check this in their own loop, with no await
   * between the check and their statement (or taking the lock): awaiting a helper that checks
   * would resume a microtask later, when another caller may have begun a transaction meanwhile
   * ("cannot start a transaction within a transaction", or a statement run inside another's).
   */
  private get blocked(): boolean {
    return this.busy && !this.inTransaction;
  }

  private wait(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    while (this.blocked) await this.wait();
    return this.db()
      .prepare(sql)
      .all(...(params as SQLInputValue[])) as T[];
  }

  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    while (this.blocked) await this.wait();
    const statement = this.db().prepare(sql);
    // An INSERT … RETURNING read with get() stops at its first row, and an autocommit that then
    // fails (a read-only disk) is only reported at reset, where node:sqlite drops it: the caller
    // would hold the id of a row that was never written. Stepping to the end reports it.
    if (RETURNING.test(sql))
      return statement.all(...(params as SQLInputValue[]))[0] as T | undefined;
    return statement.get(...(params as SQLInputValue[])) as T | undefined;
  }

  async run(sql: string, params: Param[] = []): Promise<{ changes: number }> {
    while (this.blocked) await this.wait();
    const result = this.db()
      .prepare(sql)
      .run(...(params as SQLInputValue[]));
    return { changes: Number(result.changes) };
  }

  async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    while (this.blocked) await this.wait();
    this.busy = true;
    const db = this.db();
    try {
      db.exec("BEGIN IMMEDIATE");
      const result = await work(new SqliteDb(this.db, true));
      db.exec("COMMIT");
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    } finally {
      this.busy = false;
      for (const wake of this.waiters.splice(0)) wake();
    }
  }
}
