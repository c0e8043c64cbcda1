// Dead letters in SQLite: documents a sink refused for good, with its reason. They are written in
// the transaction that moves the checkpoint past them, and only deleted when the user asks.

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { DeadLetter, DeadLetterState, Rejection } from "../../interfaces.ts";

interface DeadLetterRow {
  id: number;
  log_id: string;
  run_id: number | null;
  sink: string;
  status: number;
  reason: string;
  document: string;
  created_at: string;
  attempts: number;
  last_tried_at: string | null;
  resolved_at: string | null;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    logId: row.log_id,
    runId: row.run_id,
    sink: row.sink,
    status: row.status,
    reason: row.reason,
    document: JSON.parse(row.document) as Record<string, unknown>,
    createdAt: row.created_at,
    attempts: row.attempts,
    lastTriedAt: row.last_tried_at,
    resolvedAt: row.resolved_at,
  };
}

export function insertDeadLetters(
  db: DatabaseSync,
  runId: number,
  sink: string,
  rejections: Rejection[],
  now: string,
): void {
  const insert = db.prepare(
    `INSERT INTO dead_letters (log_id, run_id, sink, status, reason, document, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const rejection of rejections) {
    insert.run(
      rejection.id,
      runId,
      sink,
      rejection.status,
      rejection.reason,
      JSON.stringify(rejection.document),
      now,
    );
  }
}

const WHERE: Record<DeadLetterState, string> = {
  pending: "WHERE resolved_at IS NULL",
  resolved: "WHERE resolved_at IS NOT NULL",
  all: "",
};

export function listDeadLetters(
  db: DatabaseSync,
  state: DeadLetterState,
  limit: number,
): DeadLetter[] {
  const rows = db
    .prepare(`SELECT * FROM dead_letters ${WHERE[state]} ORDER BY id LIMIT ?`)
    .all(Math.min(10_000, Math.max(0, Math.floor(limit)))) as unknown as DeadLetterRow[];
  return rows.map(toDeadLetter);
}

export function countDeadLetters(db: DatabaseSync): { pending: number; resolved: number } {
  const row = db
    .prepare(
      `SELECT COALESCE(SUM(resolved_at IS NULL), 0) AS pending,
              COALESCE(SUM(resolved_at IS NOT NULL), 0) AS resolved FROM dead_letters`,
    )
    .get() as { pending: number; resolved: number };
  return { pending: Number(row.pending), resolved: Number(row.resolved) };
}

export function getDeadLetters(db: DatabaseSync, ids: number[]): DeadLetter[] {
  if (ids.length === 0) return [];
  const rows = db
    .prepare(`SELECT * FROM dead_letters WHERE id IN (${ids.map(() => "?").join(",")}) ORDER BY id`)
    .all(...(ids as SQLInputValue[])) as unknown as DeadLetterRow[];
  return rows.map(toDeadLetter);
}

export function recordRetries(
  db: DatabaseSync,
  outcomes: { id: number; rejection: Rejection | null }[],
  now: string,
): void {
  const resolved = db.prepare(
    "UPDATE dead_letters SET attempts = attempts + 1, last_tried_at = ?, resolved_at = ? WHERE id = ?",
  );
  const refused = db.prepare(
    "UPDATE dead_letters SET attempts = attempts + 1, last_tried_at = ?, status = ?, reason = ? WHERE id = ?",
  );
  for (const { id, rejection } of outcomes) {
    if (rejection === null) resolved.run(now, now, id);
    else refused.run(now, rejection.status, rejection.reason, id);
  }
}

export function deleteDeadLetters(db: DatabaseSync, which: number[] | "resolved"): number {
  if (which === "resolved") {
    return Number(
      db.prepare("DELETE FROM dead_letters WHERE resolved_at IS NOT NULL").run().changes,
    );
  }
  if (which.length === 0) return 0;
  return Number(
    db
      .prepare(`DELETE FROM dead_letters WHERE id IN (${which.map(() => "?").join(",")})`)
      .run(...(which as SQLInputValue[])).changes,
  );
}
