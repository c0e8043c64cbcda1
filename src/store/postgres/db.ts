// pg behind the Db seam: a pool, `?` placeholders numbered as PostgreSQL wants them, one pooled
// client per call (a transaction's statements share it). Timestamps come back as ISO strings and
// bigints as numbers, as SQLite gives them, so that the statements need not care which database
// answers.
//
// Every call has a deadline (DATABASE_TIMEOUT), counted on this side: getting a connection and
// each statement get what is left of it. A server that never sees the statement (a hung pooler, a
// proxy whose backend is gone, a NAT that dropped the connection's state) cannot enforce its
// statement_timeout, and TCP alone may wait for hours; the lease rounds and renewals must not.

import pg from "pg";
import { describe, StoreTimeoutError } from "../../errors.ts";
import { durationText } from "../../settings-kit/duration.ts";
import type { Db, Param } from "../db.ts";

/** `?` → `$1, $2, …` (the statements have no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const ISO = (text: string) =>
  new Date(text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")).toISOString();

/** Type parsers for this pool only (pg's defaults are process-wide). */
export const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.TIMESTAMPTZ) return ISO;
    if (oid === pg.types.builtins.INT8) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * The pool calls take their connections from, replaced by a new one when a call timed out: the
 * path its connection took (a pooler, a proxy, a NAT) most likely lost the idle ones too, and each
 * would fail a call the same way, one deadline after another. They are closed instead, and new
 * connections are opened as calls need them.
 */
export class PgPools {
  private pool: pg.Pool;
  private readonly open: () => pg.Pool;

  constructor(open: () => pg.Pool) {
    this.open = open;
    this.pool = open();
  }

  get current(): pg.Pool {
    return this.pool;
  }

  /** A connection of `pool` timed out: the next calls use a new pool (once per pool). */
  retire(pool: pg.Pool): void {
    if (pool !== this.pool) return;
    this.pool = this.open();
    // Its idle connections close now, those still out as they come back.
    pool.end().catch(() => {});
  }

  async end(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** Where calls get their connections, and how long one may take. */
export interface PgCalls {
  pools: PgPools;
  timeoutMs: number;
  /** The store, for people (no credentials). */
  shown: string;
}

/** At (or within a timer's slack of) `deadline`, on the performance.now() clock. */
function atDeadline(deadline: number): boolean {
  return performance.now() >= deadline - 1;
}

/** One call's connection and the moment (performance.now()) it must have ended by. */
export interface Call {
  client: pg.PoolClient;
  deadline: number;
  /** The connection can no longer be trusted (a statement timed out, or it broke). */
  broken: boolean;
  /** A statement got no answer by the deadline. */
  timedOut: boolean;
}

export class PgDb implements Db {
  readonly dialect = "postgres" as const;
  private readonly calls: PgCalls;
  /** Inside a transaction: its connection; outside, each call checks one out. */
  private readonly call: Call | null;

  constructor(calls: PgCalls, call: Call | null = null) {
    this.calls = calls;
    this.call = call;
  }

  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: Param[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  private query(sql: string, params: Param[]): Promise<pg.QueryResult> {
    if (this.call) return this.ask(this.call, numbered(sql), params);
    return this.within((call) => this.ask(call, numbered(sql), params));
  }

  async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    if (this.call) return work(this);
    return this.within(async (call) => {
      await this.ask(call, "BEGIN");
      try {
        const result = await work(new PgDb(this.calls, call));
        // A COMMIT that times out leaves the outcome unknown: it may have been applied. The call
        // fails all the same and its caller tries again later; that is safe because every write
        // that matters is fenced and compared-and-set: a lease claim bumps the epoch (claiming
        // again supersedes it), a renewal only extends this holder's own epoch, and a batch's
        // commit moves the checkpoint only from the value it read, so a commit that did land
        // makes its retry a conflict (the next execution resumes from the stored checkpoint)
        // rather than a second move, and one that did not land re-sends that batch.
        await this.ask(call, "COMMIT");
        return result;
      } catch (error) {
        // A connection that timed out has its statement still in its queue: a ROLLBACK would
        // wait behind it. It is closed instead, and the server rolls back when it sees it go.
        if (!call.broken) {
          await this.ask(call, "ROLLBACK").catch(() => {
            call.broken = true;
          });
        }
        throw error;
      }
    });
  }

  /**
   * Runs `work` on a connection of its own, checked out before the call's deadline, and gives it
   * back, or closes it when it can no longer be trusted: a timed-out statement stays in the
   * connection's queue, and whatever would be sent next would wait behind it.
   */
  private async within<T>(work: (call: Call) => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.calls.timeoutMs;
    const pool = this.calls.pools.current;
    const client = await this.checkout(pool, deadline).catch((error) => {
      if (error instanceof StoreTimeoutError) this.calls.pools.retire(pool);
      throw error;
    });
    const call: Call = { client, deadline, broken: false, timedOut: false };
    // A checked-out client has no pool listening to it: a connection that dies between two
    // statements (the server restarted, or ended a session frozen in its transaction) would emit
    // an 'error' no one hears, which ends the process. The next statement fails instead.
    const onError = () => {
      call.broken = true;
    };
    client.on("error", onError);
    try {
      return await work(call);
    } finally {
      client.off("error", onError);
      client.release(call.broken);
      if (call.timedOut) this.calls.pools.retire(pool);
    }
  }

  /** A connection from the pool, or StoreTimeoutError at the deadline. */
  private async checkout(pool: pg.Pool, deadline: number): Promise<pg.PoolClient> {
    const connecting = pool.connect();
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          expired = true;
          reject(this.timedOut("no connection"));
        },
        Math.max(0, deadline - performance.now()),
      );
    });
    try {
      return await Promise.race([connecting, late]);
    } catch (error) {
      // Too late for this call: a connection that comes after all goes back to the pool.
      connecting.then(
        (client) => client.release(),
        () => {},
      );
      // The pool gives up at the same moment (connectionTimeoutMillis), in its own words.
      if (!expired && atDeadline(deadline)) throw this.timedOut("no connection", error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One statement, given what is left of the call's time (pg's client-side query_timeout). */
  private async ask(call: Call, text: string, values: Param[] = []): Promise<pg.QueryResult> {
    // A call's statements share its deadline; a pinned view's (no deadline) each get the whole.
    const left = Math.ceil(Math.min(call.deadline - performance.now(), this.calls.timeoutMs));
    if (left <= 0) throw this.timedOut("no time left for a statement");
    try {
      return await call.client.query({ text, values, query_timeout: left } as pg.QueryConfig);
    } catch (error) {
      const late = atDeadline(call.deadline) || describe(error) === "Query read timeout";
      // Only an answer of the server's (an error with its SQLSTATE) leaves the connection fit for
      // the next statement; anything else (pg gave up waiting, the socket broke) does not.
      if (late || !(error instanceof pg.DatabaseError)) call.broken = true;
      call.timedOut ||= late;
      if (late) throw this.timedOut("no answer; the connection was closed", error);
      throw error;
    }
  }

  private timedOut(what: string, cause?: unknown): StoreTimeoutError {
    return new StoreTimeoutError(
      `the store ${this.calls.shown} did not answer within ${durationText(this.calls.timeoutMs)} (DATABASE_TIMEOUT): ${what}`,
      cause,
    );
  }
}
