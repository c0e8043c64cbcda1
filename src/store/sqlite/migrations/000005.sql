-- Several jobs (tenants) in one store: every record gains the job it belongs to, and what the
-- single-tenant versions stored becomes the job "default". Process-wide values (the dashboard's
-- password hash) move apart; dashboard sessions and replicas get tables of their own.
CREATE TABLE checkpoints (
  job TEXT PRIMARY KEY,
  log_id TEXT,
  start_from_applied TEXT,
  updated_at TEXT
);
INSERT INTO checkpoints (job, log_id, start_from_applied, updated_at)
  SELECT 'default', log_id, start_from_applied, updated_at FROM checkpoint
  WHERE log_id IS NOT NULL OR start_from_applied IS NOT NULL;
DROP TABLE checkpoint;
ALTER TABLE checkpoint_moves ADD COLUMN job TEXT NOT NULL DEFAULT 'default';
CREATE INDEX checkpoint_moves_job ON checkpoint_moves (job, id);
ALTER TABLE runs ADD COLUMN job TEXT NOT NULL DEFAULT 'default';
ALTER TABLE runs ADD COLUMN holder TEXT;
ALTER TABLE runs ADD COLUMN epoch INTEGER;
CREATE INDEX runs_job ON runs (job, id);
CREATE TABLE job_state (
  job TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (job, key)
);
INSERT INTO job_state (job, key, value, updated_at)
  SELECT 'default', key, value, updated_at FROM job WHERE key <> 'dashboard_password_hash';
CREATE TABLE process_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
INSERT INTO process_state (key, value, updated_at)
  SELECT key, value, updated_at FROM job WHERE key = 'dashboard_password_hash';
DROP TABLE job;
ALTER TABLE tokens ADD COLUMN job TEXT NOT NULL DEFAULT 'default';
ALTER TABLE dead_letters ADD COLUMN job TEXT NOT NULL DEFAULT 'default';
CREATE INDEX dead_letters_job ON dead_letters (job, resolved_at, id);
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  csrf TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE replicas (
  id TEXT PRIMARY KEY,
  info TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
