-- One process exports a job at a time: the lease names it, and its epoch fences its commits.
CREATE TABLE leases (
  job TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  info TEXT NOT NULL
);
