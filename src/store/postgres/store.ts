// The store for teams that run PostgreSQL, and for several replicas: the same statements as SQLite
// (../sql/), numbered migrations applied at start under a lock, a bounded pool whose connection
// failures are StoreErrors (retried by the executions' schedule: nothing is sent that cannot be
// committed), and calls that end within DATABASE_TIMEOUT whether the database answers or not.
// `?schema=NAME` in DATABASE_URL keeps the exporter's tables in a schema of their own.

import { readdirSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import pg from "pg";
import { describe, StoreError, StoreTimeoutError } from "../../errors.ts";
import type { JobId, JobStore, ProcessState, Replicas, Store } from "../../interfaces.ts";
import { redactUrl } from "../../util/secrets.ts";
import { jobStore, processState, replicas } from "../job-store.ts";
import { PgDb, PgPools, types } from "./db.ts";

/** DATABASE_TIMEOUT's default: a third of a replica's lease (15 s), renewed every 5 s. */
export const DATABASE_TIMEOUT_MS = 5_000;

const MIGRATIONS = new URL("./migrations/", import.meta.url);
/** Any number; one lock per purpose: migrating. */
const MIGRATION_LOCK = 7_313_290_011;
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;
/**
 * A migration's statements may take longer than a call (an index on a long history), and run only
 * at start, before any lease is held: the server stops them after this, the client a little later.
 */
const MIGRATION_TIMEOUT_MS = 60_000;

function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS)
    .filter((name) => /^\d{6}\.sql$/.test(name))
    .sort()
    .map((name) => readFileSync(new URL(name, MIGRATIONS), "utf8"));
}

/**
 * The database could not be reached, or is starting or stopping: worth trying again. Refused
 * credentials, a missing database or a bad schema are not: they need a person.
 */
function unreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof StoreTimeoutError) return true;
  if (typeof code !== "string") {
    return /timeout exceeded when trying to connect|Connection terminated|Query read timeout/i.test(
      describe(error),
    );
  }
  return (
    [
      "ECONNREFUSED",
      "ECONNRESET",
      "ETIMEDOUT",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "EAI_AGAIN",
    ].includes(code) || ["57P01", "57P02", "57P03", "53300"].includes(code)
  );
}

/** The operating system's user name, as libpq takes it; undefined when it has none (a bare uid). */
function osUser(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A DATABASE_URL without a user name connects as libpq would: PGUSER, else the operating system's
 * user (pg's own default reads $USER, which a service or a container may not have).
 */
export function defaultUser(
  url: URL,
  env: Record<string, string | undefined>,
  system: () => string | undefined = osUser,
): void {
  if (url.username !== "" || url.hostname === "") return;
  const user = env.PGUSER || system();
  if (user) url.username = encodeURIComponent(user);
}

export class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly sharedByReplicas = true;
  readonly shown: string;
  process: ProcessState;
  replicas: Replicas;
  private readonly pools: PgPools;
  private readonly timeoutMs: number;
  private db: PgDb;
  private readonly schema: string | null;
  /** A read-only view of an older store: the connection whose transaction holds its upgrade. */
  private upgrade: pg.PoolClient | null = null;
  private readonly jobs = new Map<JobId, JobStore>();

  private constructor(url: string, timeoutMs: number) {
    const parsed = new URL(url);
    this.schema = parsed.searchParams.get("schema");
    if (this.schema !== null && !SCHEMA.test(this.schema)) {
      throw new StoreError(
        `DATABASE_URL: schema "${this.schema.slice(0, 64)}" is not a plain lowercase name`,
        {
          retryable: false,
        },
      );
    }
    parsed.searchParams.delete("schema");
    defaultUser(parsed, process.env);
    this.shown = redactUrl(url);
    const options: pg.PoolConfig = {
      connectionString: parsed.toString(),
      max: 10,
      // pg waits forever for a connection by default: a database that is down must fail fast.
      // Each call also counts its own deadline (db.ts); these are the pool's own backstops.
      connectionTimeoutMillis: timeoutMs,
      query_timeout: MIGRATION_TIMEOUT_MS + timeoutMs,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
      // The server too gives up on what the client has given up on: a statement, or a session
      // left in a transaction (no call's transaction lasts longer than its deadline), which would
      // hold its row locks (a lease's) until it ended.
      statement_timeout: timeoutMs,
      idle_in_transaction_session_timeout: timeoutMs,
      types,
      ...(this.schema ? { options: `-c search_path=${this.schema}` } : {}),
    };
    this.pools = new PgPools(() => {
      const pool = new pg.Pool(options);
      // An idle connection's error (the server restarted) must not end the process: the next
      // query reports it, and the pool opens a new connection.
      pool.on("error", () => {});
      return pool;
    });
    this.timeoutMs = timeoutMs;
    this.db = new PgDb({ pools: this.pools, timeoutMs, shown: this.shown });
    this.process = processState(this.db, this.shown);
    this.replicas = replicas(this.db, this.shown);
  }

  /**
   * Opens the store, creating or upgrading its tables. With `existing` (a read-only command's
   * view), creates and changes nothing: see attach(). `timeoutMs`: DATABASE_TIMEOUT, how long any
   * one call may take.
   */
  static async open(
    url: string,
    options: { existing?: boolean; timeoutMs?: number } = {},
  ): Promise<PostgresStore> {
    const store = new PostgresStore(url, options.timeoutMs ?? DATABASE_TIMEOUT_MS);
    try {
      if (options.existing) await store.attach();
      else await store.migrate();
    } catch (error) {
      await store.close();
      if (error instanceof StoreError) throw error;
      throw new StoreError(`the store ${store.shown} could not be opened: ${describe(error)}`, {
        retryable: unreachable(error),
        cause: error,
      });
    }
    return store;
  }

  /**
   * Applies the migrations this database has not seen, in one transaction under a transaction-
   * scoped advisory lock, so that replicas starting together migrate once (a session-level lock
   * would stay with a pooled connection).
   */
  private async migrate(): Promise<void> {
    const files = migrationFiles();
    const client = await this.pools.current.connect();
    // As in a transaction (db.ts): a connection lost meanwhile fails the next statement.
    const ignore = () => {};
    client.on("error", ignore);
    let failed: unknown = null;
    try {
      await client.query("BEGIN");
      await client.query(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = await client.query(
        "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations",
      );
      for (let version = Number(done.rows[0]?.version ?? 0); version < files.length; version++) {
        await client.query(files[version] as string);
        await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version + 1]);
      }
      await client.query("COMMIT");
    } catch (error) {
      failed = error;
      throw error;
    } finally {
      client.off("error", ignore);
      // Closed rather than rolled back: the store is not opened, and the pool ends.
      client.release(failed !== null);
    }
  }

  /**
   * For a read-only command (status, runs, …): the database (or schema) must hold the exporter's
   * tables, and nothing is created, so that a wrong DATABASE_URL is reported as such instead of
   * getting empty tables to describe. A store an older version left, which the next `run` or
   * `once` upgrades, is read through the upgrade applied in a transaction that close() rolls back,
   * on one connection that every statement of the view then uses.
   */
  private async attach(): Promise<void> {
    const files = migrationFiles();
    const client = await this.pools.current.connect();
    const ignore = () => {};
    client.on("error", ignore);
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      const found = await client.query(
        "SELECT to_regclass('schema_migrations') IS NOT NULL AND to_regclass('checkpoints') IS NOT NULL AS ours",
      );
      const done = found.rows[0]?.ours
        ? await client.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
        : null;
      const version = Number(done?.rows[0]?.version ?? 0);
      if (version === 0) {
        throw new StoreError(
          `no store at ${this.shown} (DATABASE_URL): ${this.schema ? `the schema ${this.schema}` : "the database"} holds none of the exporter's tables`,
          { retryable: false },
        );
      }
      if (version >= files.length) {
        await client.query("ROLLBACK");
        client.off("error", ignore);
        client.release();
        return;
      }
      for (let next = version; next < files.length; next++) {
        await client.query(files[next] as string);
      }
      this.upgrade = client;
      // Every statement of the view on this one connection, each within DATABASE_TIMEOUT.
      const calls = { pools: this.pools, timeoutMs: this.timeoutMs, shown: this.shown };
      this.db = new PgDb(calls, {
        client,
        deadline: Number.POSITIVE_INFINITY,
        broken: false,
        timedOut: false,
      });
      this.process = processState(this.db, this.shown);
      this.replicas = replicas(this.db, this.shown);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      client.off("error", ignore);
      client.release();
      throw error;
    }
  }

  forJob(job: JobId): JobStore {
    let store = this.jobs.get(job);
    if (!store) {
      store = jobStore(this.db, job, this.shown, () => this.verify());
      this.jobs.set(job, store);
    }
    return store;
  }

  async verify(): Promise<void> {
    try {
      await this.db.get("SELECT 1");
    } catch (error) {
      throw new StoreError(
        `the store ${this.shown} cannot be reached: ${describe(error)}; nothing is exported until it answers`,
        { retryable: false, cause: error },
      );
    }
  }

  async close(): Promise<void> {
    if (this.upgrade) {
      await this.upgrade.query("ROLLBACK").catch(() => {});
      this.upgrade.release();
      this.upgrade = null;
    }
    await this.pools.end();
  }
}
