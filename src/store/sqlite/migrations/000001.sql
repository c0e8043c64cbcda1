-- The first schema: one checkpoint, its moves, the token cache, the run history.
CREATE TABLE checkpoint (
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
CREATE INDEX runs_started_at ON runs (started_at);
