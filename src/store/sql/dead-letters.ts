// Dead letters: documents a sink refused for good, with its reason. They are written in the
// transaction that moves the checkpoint past them (or in one of their own, where nothing has a
// checkpoint: addDeadLetters), and only deleted when the user asks. One per event: refused again
// (after a replay), its letter takes the new reason and is pending again. The same statements
// serve SQLite and PostgreSQL.

import type { DeadLetter, DeadLetterState, JobId, Rejection } from "../../interfaces.ts";
import { type Db, fromJson, int, type Param } from "../db.ts";

interface DeadLetterRow {
  id: number | string;
  log_id: string;
  run_id: number | string | null;
  sink: string;
  status: number | string;
  reason: string;
  document: unknown;
  created_at: string;
  attempts: number | string;
  last_tried_at: string | null;
  resolved_at: string | null;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: int(row.id),
    logId: row.log_id,
    runId: row.run_id === null ? null : int(row.run_id),
    sink: row.sink,
    status: int(row.status),
    reason: row.reason,
    document: fromJson<Record<string, unknown>>(row.document),
    createdAt: row.created_at,
    attempts: int(row.attempts),
    lastTriedAt: row.last_tried_at,
    resolvedAt: row.resolved_at,
  };
}

const COLUMNS =
  "id, log_id, run_id, sink, status, reason, document, created_at, attempts, last_tried_at, resolved_at";

export async function insertDeadLetters(
  db: Db,
  job: JobId,
  runId: number | null,
  sink: string,
  rejections: Rejection[],
  now: string,
): Promise<void> {
  for (const rejection of rejections) {
    await db.run(
      `INSERT INTO dead_letters (job, log_id, run_id, sink, status, reason, document, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job, log_id) DO UPDATE SET
         run_id = excluded.run_id, sink = excluded.sink, status = excluded.status,
         reason = excluded.reason, document = excluded.document,
         attempts = dead_letters.attempts + 1, last_tried_at = excluded.created_at,
         resolved_at = NULL`,
      [
        job,
        rejection.id,
        runId,
        sink,
        rejection.status,
        rejection.reason,
        JSON.stringify(rejection.document),
        now,
      ],
    );
  }
}

/** Refused documents stored on their own: all of them or none, no checkpoint moved. */
export async function addDeadLetters(
  db: Db,
  job: JobId,
  rejections: Rejection[],
  origin: { sink: string; runId?: number | null },
  now: string,
): Promise<void> {
  if (rejections.length === 0) return;
  await db.transaction((tx) =>
    insertDeadLetters(tx, job, origin.runId ?? null, origin.sink, rejections, now),
  );
}

const STATE: Record<DeadLetterState, string> = {
  pending: " AND resolved_at IS NULL",
  resolved: " AND resolved_at IS NOT NULL",
  all: "",
};

export async function listDeadLetters(
  db: Db,
  job: JobId,
  state: DeadLetterState,
  limit: number,
): Promise<DeadLetter[]> {
  const rows = await db.all<DeadLetterRow>(
    `SELECT ${COLUMNS} FROM dead_letters WHERE job = ?${STATE[state]} ORDER BY id LIMIT ?`,
    [job, Math.min(10_000, Math.max(0, Math.floor(limit)))],
  );
  return rows.map(toDeadLetter);
}

export async function countDeadLetters(
  db: Db,
  job: JobId,
): Promise<{ pending: number; resolved: number }> {
  const row = await db.get<{ pending: number | string; resolved: number | string }>(
    `SELECT COUNT(*) FILTER (WHERE resolved_at IS NULL) AS pending,
            COUNT(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved
     FROM dead_letters WHERE job = ?`,
    [job],
  );
  return { pending: int(row?.pending ?? 0), resolved: int(row?.resolved ?? 0) };
}

export async function getDeadLetters(db: Db, job: JobId, ids: number[]): Promise<DeadLetter[]> {
  if (ids.length === 0) return [];
  const rows = await db.all<DeadLetterRow>(
    `SELECT ${COLUMNS} FROM dead_letters WHERE job = ? AND id IN (${ids.map(() => "?").join(",")}) ORDER BY id`,
    [job, ...(ids as Param[])],
  );
  return rows.map(toDeadLetter);
}

export async function recordRetries(
  db: Db,
  job: JobId,
  outcomes: { id: number; rejection: Rejection | null }[],
  now: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const { id, rejection } of outcomes) {
      if (rejection === null) {
        await tx.run(
          `UPDATE dead_letters SET attempts = attempts + 1, last_tried_at = ?, resolved_at = ?
           WHERE id = ? AND job = ?`,
          [now, now, id, job],
        );
      } else {
        await tx.run(
          `UPDATE dead_letters SET attempts = attempts + 1, last_tried_at = ?, status = ?, reason = ?
           WHERE id = ? AND job = ?`,
          [now, rejection.status, rejection.reason, id, job],
        );
      }
    }
  });
}

export async function deleteDeadLetters(
  db: Db,
  job: JobId,
  which: number[] | "resolved",
): Promise<number> {
  if (which === "resolved") {
    return (
      await db.run("DELETE FROM dead_letters WHERE job = ? AND resolved_at IS NOT NULL", [job])
    ).changes;
  }
  if (which.length === 0) return 0;
  const result = await db.run(
    `DELETE FROM dead_letters WHERE job = ? AND id IN (${which.map(() => "?").join(",")})`,
    [job, ...(which as Param[])],
  );
  return result.changes;
}
