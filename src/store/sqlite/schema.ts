// Schema of the SQLite store, applied in order; PRAGMA user_version records how far a file got.

export const migrations: string[] = [
  `CREATE TABLE checkpoint (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     log_id TEXT,
     start_from_applied TEXT,
     updated_at TEXT
   );
   INSERT INTO checkpoint (id) VALUES (1);
   CREATE TABLE checkpoint_moves (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     from_id TEXT,
     to_id TEXT NOT NULL,
     reason TEXT NOT NULL
   );
   CREATE TABLE tokens (
     key TEXT PRIMARY KEY,
     access_token TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     trigger TEXT NOT NULL,
     started_at TEXT NOT NULL,
     ended_at TEXT,
     outcome TEXT NOT NULL,
     read INTEGER NOT NULL DEFAULT 0,
     sent INTEGER NOT NULL DEFAULT 0,
     filtered INTEGER NOT NULL DEFAULT 0,
     batches INTEGER NOT NULL DEFAULT 0,
     retries INTEGER NOT NULL DEFAULT 0,
     first_checkpoint TEXT,
     last_checkpoint TEXT,
     warnings TEXT NOT NULL DEFAULT '[]',
     error TEXT
   );
   CREATE INDEX runs_started_at ON runs (started_at);`,
  `CREATE TABLE job (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );`,
  // One process exports a job at a time: the lease names it, and its epoch fences its commits.
  `CREATE TABLE leases (
     job TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     info TEXT NOT NULL
   );`,
  // Documents a sink refused for good, kept with the reason until re-sent or deleted on request.
  `ALTER TABLE runs ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     log_id TEXT NOT NULL,
     run_id INTEGER,
     sink TEXT NOT NULL,
     status INTEGER NOT NULL,
     reason TEXT NOT NULL,
     document TEXT NOT NULL,
     created_at TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 1,
     last_tried_at TEXT,
     resolved_at TEXT
   );
   CREATE INDEX dead_letters_pending ON dead_letters (resolved_at, id);`,
];
