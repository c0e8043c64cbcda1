// The store for teams that run PostgreSQL, and for several replicas: the same statements as SQLite
// (../sql/), numbered migrations applied at start under a lock, a bounded pool whose connection
// failures are StoreErrors (retried by the executions' schedule: nothing is sent that cannot be
// committed). `?schema=NAME` in DATABASE_URL keeps the exporter's tables in a schema of their own.

import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { describe, StoreError } from "../../errors.ts";
import type { JobId, JobStore, ProcessState, Replicas, Store } from "../../interfaces.ts";
import { redactUrl } from "../../util/secrets.ts";
import { jobStore, processState, replicas } from "../job-store.ts";
import { PgDb, types } from "./db.ts";

const MIGRATIONS = new URL("./migrations/", import.meta.url);
/** Any number; one lock per purpose: migrating. */
const MIGRATION_LOCK = 7_313_290_011;
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

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
  if (typeof code !== "string") {
    return /timeout exceeded when trying to connect|Connection terminated/i.test(describe(error));
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

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly shown: string;
  process: ProcessState;
  replicas: Replicas;
  private readonly pool: pg.Pool;
  private db: PgDb;
  private readonly schema: string | null;
  /** A read-only view of an older store: the connection whose transaction holds its upgrade. */
  private upgrade: pg.PoolClient | null = null;
  private readonly jobs = new Map<JobId, JobStore>();

  private constructor(url: string) {
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
    this.shown = redactUrl(url);
    this.pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: 10,
      // pg waits forever for a connection by default: a database that is down must fail fast.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
      statement_timeout: 15_000,
      idle_in_transaction_session_timeout: 30_000,
      types,
      ...(this.schema ? { options: `-c search_path=${this.schema}` } : {}),
    });
    // An idle connection's error (the server restarted) must not end the process: the next
    // query reports it, and the pool opens a new connection.
    this.pool.on("error", () => {});
    this.db = new PgDb(this.pool, this.pool);
    this.process = processState(this.db, this.shown);
    this.replicas = replicas(this.db, this.shown);
  }

  /**
   * Opens the store, creating or upgrading its tables. With `existing` (a read-only command's
   * view), creates and changes nothing: see attach().
   */
  static async open(url: string, options: { existing?: boolean } = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url);
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
    const client = await this.pool.connect();
    // As in a transaction (db.ts): a connection lost meanwhile fails the next statement.
    const ignore = () => {};
    client.on("error", ignore);
    try {
      await client.query("BEGIN");
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
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.off("error", ignore);
      client.release();
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
    const client = await this.pool.connect();
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
      this.db = new PgDb(client, null);
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
      await this.pool.query("SELECT 1");
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
    await this.pool.end().catch(() => {});
  }
}
