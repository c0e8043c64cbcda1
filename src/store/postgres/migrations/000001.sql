-- The whole schema for PostgreSQL, every record keyed by its job (tenant). Times are timestamptz
-- and taken from the database's clock where replicas must agree (leases, replicas).
CREATE TABLE checkpoints (
  job text PRIMARY KEY,
  log_id text,
  start_from_applied text,
  updated_at timestamptz
);
CREATE TABLE checkpoint_moves (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job text NOT NULL,
  at timestamptz NOT NULL,
  from_id text,
  to_id text NOT NULL,
  reason text NOT NULL
);
CREATE INDEX checkpoint_moves_job ON checkpoint_moves (job, id);
CREATE TABLE tokens (
  key text PRIMARY KEY,
  job text NOT NULL,
  access_token text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE TABLE runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job text NOT NULL,
  trigger text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  outcome text NOT NULL,
  read bigint NOT NULL DEFAULT 0,
  sent bigint NOT NULL DEFAULT 0,
  filtered bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  batches bigint NOT NULL DEFAULT 0,
  retries bigint NOT NULL DEFAULT 0,
  first_checkpoint text,
  last_checkpoint text,
  warnings jsonb NOT NULL DEFAULT '[]',
  error text,
  holder text,
  epoch bigint
);
CREATE INDEX runs_job ON runs (job, id);
CREATE INDEX runs_started_at ON runs (started_at);
CREATE TABLE job_state (
  job text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (job, key)
);
CREATE TABLE process_state (
  key text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE leases (
  job text PRIMARY KEY,
  holder text NOT NULL,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  info jsonb NOT NULL
);
CREATE TABLE dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job text NOT NULL,
  log_id text NOT NULL,
  run_id bigint,
  sink text NOT NULL,
  status integer NOT NULL,
  reason text NOT NULL,
  document jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  last_tried_at timestamptz,
  resolved_at timestamptz
);
CREATE INDEX dead_letters_job ON dead_letters (job, resolved_at, id);
CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_name text NOT NULL,
  csrf text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE TABLE replicas (
  id text PRIMARY KEY,
  info jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);
