// The record of the events delivered recently, for a tenant with a Log Stream: both paths consult
// it before sending (the sweep must not send again what the stream pushed, nor a stream's
// re-delivery what was delivered already). One row per event and job; the first path to deliver
// it keeps it. Log ids sort by time, so that the record is pruned by id. The same statements serve
// SQLite and PostgreSQL.

import type { Checkpoint, DeliveryPath, JobId, Rejection } from "../../interfaces.ts";
import { type Db, int, type Param } from "../db.ts";
import { insertDeadLetters } from "./dead-letters.ts";

/**
 * Ids per statement: a push may carry thousands, and each database bounds a statement's
 * parameters (SQLite 32 766, PostgreSQL 65 535); a few hundred keep each statement small.
 */
const KNOWN_CHUNK = 500;
/** Rows per insert (four parameters each). */
const RECORD_CHUNK = 250;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function knownIds(db: Db, job: JobId, ids: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const chunk of chunks([...new Set(ids)], KNOWN_CHUNK)) {
    const rows = await db.all<{ log_id: string }>(
      `SELECT log_id FROM delivered_ids WHERE job = ? AND log_id IN (${chunk.map(() => "?").join(",")})`,
      [job, ...chunk],
    );
    for (const row of rows) known.add(row.log_id);
  }
  return known;
}

/** Inserts the ids not recorded yet, in the caller's transaction: an id keeps its first path. */
export async function insertDeliveredIds(
  db: Db,
  job: JobId,
  ids: string[],
  path: DeliveryPath,
  now: string,
): Promise<void> {
  for (const chunk of chunks([...new Set(ids)], RECORD_CHUNK)) {
    const params: Param[] = [];
    for (const id of chunk) params.push(job, id, path, now);
    await db.run(
      `INSERT INTO delivered_ids (job, log_id, path, recorded_at)
       VALUES ${chunk.map(() => "(?, ?, ?, ?)").join(", ")}
       ON CONFLICT (job, log_id) DO NOTHING`,
      params,
    );
  }
}

/** What one push delivered and what was refused of it: all of it stored, or none. */
export async function recordDelivered(
  db: Db,
  job: JobId,
  delivered: string[],
  path: DeliveryPath,
  deadLetters: { rejections: Rejection[]; sink: string } | undefined,
  now: string,
): Promise<void> {
  const rejections = deadLetters?.rejections ?? [];
  if (delivered.length === 0 && rejections.length === 0) return;
  await db.transaction(async (tx) => {
    await insertDeliveredIds(tx, job, delivered, path, now);
    if (deadLetters) await insertDeadLetters(tx, job, null, deadLetters.sink, rejections, now);
  });
}

export async function deliveredSummary(
  db: Db,
  job: JobId,
  since: string,
): Promise<{ stream: number; sweep: number; lastPushAt: string | null }> {
  const counts = await db.all<{ path: string; n: number | string }>(
    "SELECT path, COUNT(*) AS n FROM delivered_ids WHERE job = ? AND recorded_at >= ? GROUP BY path",
    [job, since],
  );
  const latest = await db.get<{ at: string | null }>(
    "SELECT MAX(recorded_at) AS at FROM delivered_ids WHERE job = ? AND path = 'stream'",
    [job],
  );
  const of = (path: DeliveryPath) => int(counts.find((row) => row.path === path)?.n ?? 0);
  return { stream: of("stream"), sweep: of("sweep"), lastPushAt: latest?.at ?? null };
}

export async function pruneDelivered(db: Db, job: JobId, before: Checkpoint): Promise<number> {
  return (await db.run("DELETE FROM delivered_ids WHERE job = ? AND log_id < ?", [job, before]))
    .changes;
}
