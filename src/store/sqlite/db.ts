// node:sqlite behind the Db seam. Its calls are synchronous, so a statement cannot interleave with
// another; a transaction, though, awaits between its statements, and other code (another job's
// commit, a dashboard request) could run statements inside it. Transactions therefore take a lock
// that every statement outside them waits for.

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { Db, Param } from "../db.ts";

const RETURNING = /\bRETURNING\b/i;

/**
 * Each database's statements, prepared once: the store runs the same few dozen statements over and
 * over (six a commit), and preparing one costs as much as running it. Keyed by the database, which
 * the store replaces when it reopens its file, so a closed one's statements go with it.
 */
const prepared = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

function statement(db: DatabaseSync, sql: string): StatementSync {
  let statements = prepared.get(db);
  if (!statements) {
    statements = new Map();
    prepared.set(db, statements);
  }
  let found = statements.get(sql);
  if (!found) {
    found = db.prepare(sql);
    statements.set(sql, found);
  }
  return found;
}

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
    return statement(this.db(), sql).all(...(params as SQLInputValue[])) as T[];
  }

  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    while (this.blocked) await this.wait();
    const found = statement(this.db(), sql);
    // An INSERT … RETURNING read with get() stops at its first row, and an autocommit that then
    // fails (a read-only disk) is only reported at reset, where node:sqlite drops it: the caller
    // would hold the id of a row that was never written. Stepping to the end reports it.
    if (RETURNING.test(sql)) return found.all(...(params as SQLInputValue[]))[0] as T | undefined;
    return found.get(...(params as SQLInputValue[])) as T | undefined;
  }

  async run(sql: string, params: Param[] = []): Promise<{ changes: number }> {
    while (this.blocked) await this.wait();
    const result = statement(this.db(), sql).run(...(params as SQLInputValue[]));
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
