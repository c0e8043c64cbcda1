-- The job's switch and schedule, stored so that the CLI, the dashboard and a service agree.
CREATE TABLE job (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
