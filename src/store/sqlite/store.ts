// The embedded store: one SQLite file through node:sqlite. Every commit is one transaction, so the
// checkpoint, the run's counts and the dead letters move together or not at all. WAL with
// synchronous=NORMAL survives any process crash; a power cut may lose the last commits, which only
// means re-sending them. The statements are shared with PostgreSQL (../sql/).

import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, StoreError } from "../../errors.ts";
import type { JobId, JobStore, ProcessState, Replicas, Store } from "../../interfaces.ts";
import { jobStore, processState, replicas } from "../job-store.ts";
import { SqliteDb } from "./db.ts";

const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** The numbered migrations, in order: 000001.sql, 000002.sql, … */
export function migrationFiles(folder: URL): string[] {
  return readdirSync(folder)
    .filter((name) => /^\d{6}\.sql$/.test(name))
    .sort()
    .map((name) => readFileSync(new URL(name, folder), "utf8"));
}

/**
 * Creates a folder and its missing parents, owner-only. Not `mkdirSync(…, { recursive: true })`:
 * Node's loops forever, at full CPU, where mkdir answers ENOENT under an existing parent (/proc).
 */
function makeFolder(folder: string): void {
  if (existsSync(folder)) return;
  const parent = dirname(folder);
  if (parent !== folder) makeFolder(parent);
  mkdirSync(folder, { mode: 0o700 });
}

function userVersion(db: DatabaseSync): number {
  return (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
}

export class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly sharedByReplicas = false;
  readonly path: string;
  readonly shown: string;
  readonly process: ProcessState;
  readonly replicas: Replicas;
  private db: DatabaseSync;
  private readonly sql: SqliteDb;
  private readonly jobs = new Map<JobId, JobStore>();
  /** Inode of the file opened, to notice it being deleted or replaced under us. */
  private inode: number | null = null;
  /** A read-only command's view (openExisting): neither creates nor changes the file. */
  private readonly existing: boolean;
  /** An older store read through its upgrade, in a transaction that close() rolls back. */
  private upgrading = false;

  constructor(path: string, options: { existing?: boolean } = {}) {
    this.path = path === ":memory:" ? path : resolve(path);
    this.shown = this.path;
    this.existing = options.existing === true;
    this.db = this.open();
    // The upgrade's transaction holds every statement: none may begin another.
    this.sql = new SqliteDb(() => this.db, this.upgrading);
    this.process = processState(this.sql, this.shown);
    this.replicas = replicas(this.sql, this.shown);
  }

  private open(): DatabaseSync {
    if (this.existing) return this.openExisting();
    try {
      if (this.path !== ":memory:") this.createOwnerOnly();
      const db = new DatabaseSync(this.path);
      this.db = db;
      // The WAL is copied into the database every 100 pages (400 KiB), not SQLite's 1000 (4 MiB):
      // only a commit past the mark does it, so on a volume with less room the WAL filled it and
      // every execution failed, even once some space was freed, until a restart.
      db.exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 100;",
      );
      this.migrate(db);
      this.inode = this.path === ":memory:" ? null : statSync(this.path).ino;
      return db;
    } catch (error) {
      throw new StoreError(`the store ${this.path} could not be opened: ${describe(error)}`, {
        retryable: false,
        cause: error,
      });
    }
  }

  /**
   * The store holds a Management API token: the folder we create and the file are the owner's
   * alone. SQLite gives its -wal and -shm files the main file's permissions.
   */
  private createOwnerOnly(): void {
    makeFolder(dirname(this.path));
    if (!existsSync(this.path)) closeSync(openSync(this.path, "a", 0o600));
    if ((statSync(this.path).mode & 0o077) !== 0) chmodSync(this.path, 0o600);
  }

  /**
   * For a read-only command (status, runs, …): the file must exist and hold a store, and is opened
   * read-only, so that a command run from the wrong folder reports that instead of creating an
   * empty store and describing it. A store an older version left, which the next `run` or `once`
   * upgrades, is read through the upgrade applied in a transaction that close() rolls back: still
   * nothing written, and an older service still using the file is not changed under it.
   */
  private openExisting(): DatabaseSync {
    const noStore = (why: string) =>
      new StoreError(`no store at ${this.path} (DATABASE_URL): ${why}`, { retryable: false });
    if (this.path === ":memory:" || !existsSync(this.path)) {
      throw noStore(
        "nothing was exported with it yet (a relative path is read from the folder the command runs in)",
      );
    }
    let db: DatabaseSync | null = null;
    try {
      db = new DatabaseSync(this.path, { readOnly: true });
      db.exec("PRAGMA busy_timeout = 5000;");
      const version = userVersion(db);
      if (version === 0) throw noStore("the file holds none of the exporter's tables");
      if (version < migrationFiles(MIGRATIONS).length) {
        db.close();
        db = new DatabaseSync(this.path);
        db.exec("PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE;");
        this.upgrading = true;
        this.migrate(db);
      }
      this.inode = statSync(this.path).ino;
      return db;
    } catch (error) {
      if (db?.isOpen) db.close();
      if (error instanceof StoreError) throw error;
      throw new StoreError(`the store ${this.path} could not be opened: ${describe(error)}`, {
        retryable: false,
        cause: error,
      });
    }
  }

  /**
   * Applies the migrations a file has not seen yet; PRAGMA user_version counts them. Each in a
   * transaction of its own, or all in the one a read-only view has open (`upgrading`).
   */
  private migrate(db: DatabaseSync): void {
    const files = migrationFiles(MIGRATIONS);
    for (let version = userVersion(db); version < files.length; version++) {
      if (this.upgrading) {
        db.exec(files[version] as string);
        continue;
      }
      db.exec("BEGIN IMMEDIATE");
      try {
        db.exec(files[version] as string);
        db.exec(`PRAGMA user_version = ${version + 1}`);
        db.exec("COMMIT");
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    }
  }

  forJob(job: JobId): JobStore {
    let store = this.jobs.get(job);
    if (!store) {
      store = jobStore(this.sql, job, this.shown, () => this.verify());
      this.jobs.set(job, store);
    }
    return store;
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

  async close(): Promise<void> {
    if (!this.db.isOpen) return;
    if (this.db.isTransaction) this.db.exec("ROLLBACK");
    this.db.close();
  }
}
