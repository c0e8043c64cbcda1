// Small named values: a job's (enabled, schedule, alert state, requests from other replicas) and
// the process's (the dashboard's password hash), and the token cache.

import { StoreError } from "../../errors.ts";
import type { CachedToken, JobId } from "../../interfaces.ts";
import { type Db, int } from "../db.ts";

export async function getJobValue(db: Db, job: JobId, key: string): Promise<string | null> {
  const row = await db.get<{ value: string }>(
    "SELECT value FROM job_state WHERE job = ? AND key = ?",
    [job, key],
  );
  return row?.value ?? null;
}

export async function setJobValue(
  db: Db,
  job: JobId,
  key: string,
  value: string,
  now: string,
): Promise<void> {
  await db.run(
    `INSERT INTO job_state (job, key, value, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (job, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [job, key, value, now],
  );
}

export async function deleteJobValue(db: Db, job: JobId, key: string): Promise<void> {
  await db.run("DELETE FROM job_state WHERE job = ? AND key = ?", [job, key]);
}

export async function getProcessValue(db: Db, key: string): Promise<string | null> {
  const row = await db.get<{ value: string }>("SELECT value FROM process_state WHERE key = ?", [
    key,
  ]);
  return row?.value ?? null;
}

export async function setProcessValue(
  db: Db,
  key: string,
  value: string,
  now: string,
): Promise<void> {
  await db.run(
    `INSERT INTO process_state (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [key, value, now],
  );
}

export async function setProcessValueIfAbsent(
  db: Db,
  key: string,
  value: string,
  now: string,
): Promise<void> {
  await db.run(
    "INSERT INTO process_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
    [key, value, now],
  );
}

export async function getToken(db: Db, job: JobId, key: string): Promise<CachedToken | null> {
  const row = await db.get<{
    access_token: string;
    expires_at: number | string;
    credentials: string;
  }>("SELECT access_token, expires_at, credentials FROM tokens WHERE key = ? AND job = ?", [
    key,
    job,
  ]);
  return row
    ? {
        accessToken: row.access_token,
        expiresAt: int(row.expires_at),
        credentials: row.credentials,
      }
    : null;
}

export async function putToken(db: Db, job: JobId, key: string, token: CachedToken) {
  // A value the column cannot hold is the caller's error, not the database's: say which.
  if (!Number.isSafeInteger(token.expiresAt) || token.expiresAt < 0) {
    throw new StoreError(
      `refused to cache a token expiring at ${token.expiresAt}: not a time in whole milliseconds`,
      { retryable: false },
    );
  }
  await db.run(
    `INSERT INTO tokens (key, job, access_token, expires_at, credentials) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET job = excluded.job, access_token = excluded.access_token,
       expires_at = excluded.expires_at, credentials = excluded.credentials`,
    [key, job, token.accessToken, token.expiresAt, token.credentials],
  );
}
