-- Documents a sink refused for good, kept with the reason until re-sent or deleted on request.
ALTER TABLE runs ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
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
CREATE INDEX dead_letters_pending ON dead_letters (resolved_at, id);
