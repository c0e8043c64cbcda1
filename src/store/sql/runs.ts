// The run history's statements: one execution (or a replay, a skipped tick) per row.

import type {
  Checkpoint,
  Fence,
  JobId,
  RecordedRun,
  RunOutcome,
  RunQuery,
  RunRecord,
  RunTrigger,
} from "../../interfaces.ts";
import { type Db, fromJson, int, type Param } from "../db.ts";

/** Runs listed at most at once, whatever a caller asks. */
const MAX_LIST = 10_000;

interface RunRow {
  id: number | string;
  trigger: string;
  started_at: string;
  ended_at: string | null;
  outcome: string;
  read: number | string;
  sent: number | string;
  filtered: number | string;
  streamed: number | string;
  rejected: number | string;
  batches: number | string;
  retries: number | string;
  first_checkpoint: string | null;
  last_checkpoint: string | null;
  warnings: unknown;
  error: string | null;
  holder: string | null;
  epoch: number | string | null;
  committed_epoch_low: number | string | null;
  committed_epoch_high: number | string | null;
}

const COLUMNS = `id, trigger, started_at, ended_at, outcome, read, sent, filtered, streamed, rejected,
  batches, retries, first_checkpoint, last_checkpoint, warnings, error, holder, epoch,
  committed_epoch_low, committed_epoch_high`;

function toRun(row: RunRow): RunRecord {
  return {
    id: int(row.id),
    trigger: row.trigger as RunTrigger,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome as RunOutcome,
    read: int(row.read),
    sent: int(row.sent),
    filtered: int(row.filtered),
    streamed: int(row.streamed),
    rejected: int(row.rejected),
    batches: int(row.batches),
    retries: int(row.retries),
    firstCheckpoint: row.first_checkpoint,
    lastCheckpoint: row.last_checkpoint,
    warnings: fromJson<string[]>(row.warnings),
    error: row.error,
    holder: row.holder,
    epoch: row.epoch === null ? null : int(row.epoch),
    committedEpochs:
      row.committed_epoch_low === null || row.committed_epoch_high === null
        ? null
        : { low: int(row.committed_epoch_low), high: int(row.committed_epoch_high) },
  };
}

/**
 * Records an execution's start; null when `fence` is no longer the job's lease: a process that
 * lost the job (frozen, then taken over) may not start an execution of it, let alone commit.
 */
export async function startRun(
  db: Db,
  job: JobId,
  trigger: RunTrigger,
  checkpoint: Checkpoint | null,
  fence: Fence | null,
  now: string,
): Promise<number | null> {
  const values = [
    job,
    trigger,
    now,
    checkpoint,
    checkpoint,
    fence?.holder ?? null,
    fence?.epoch ?? null,
  ];
  const row = await db.get<{ id: number | string }>(
    fence
      ? `INSERT INTO runs (job, trigger, started_at, outcome, first_checkpoint, last_checkpoint, holder, epoch)
         SELECT ?, ?, ?, 'running', ?, ?, ?, ?
         WHERE EXISTS (SELECT 1 FROM leases WHERE job = ? AND holder = ? AND epoch = ?)
         RETURNING id`
      : `INSERT INTO runs (job, trigger, started_at, outcome, first_checkpoint, last_checkpoint, holder, epoch)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?) RETURNING id`,
    fence ? [...values, job, fence.holder, fence.epoch] : values,
  );
  return row === undefined ? null : int(row.id);
}

/** pid and host from a holder's id (`host/pidns/boot:pid:random`), for people. */
function processOf(holder: string | null): string {
  const [space = "", pid] = (holder ?? "").split(":");
  const host = space.split("/")[0];
  return pid && host ? ` (pid ${pid} on ${host})` : "";
}

/**
 * Closes the job's runs still marked running under an epoch older than `epoch` (just claimed):
 * their process stopped holding the job before they ended, and would otherwise stay "running"
 * for ever (and never be pruned). A frozen holder that wakes up still finishes its run itself.
 */
export async function interruptRuns(db: Db, job: JobId, epoch: number, now: string) {
  const rows = await db.all<{ id: number | string; holder: string | null }>(
    "SELECT id, holder FROM runs WHERE job = ? AND outcome = 'running' AND (epoch IS NULL OR epoch < ?)",
    [job, epoch],
  );
  for (const row of rows) {
    const error = `the process holding the tenant${processOf(row.holder)} stopped before this execution ended; the next holder resumed from its last commit`;
    await db.run(
      "UPDATE runs SET outcome = 'interrupted', ended_at = ?, error = ? WHERE id = ? AND job = ? AND outcome = 'running'",
      [now, error, int(row.id), job],
    );
  }
}

export async function finishRun(
  db: Db,
  job: JobId,
  runId: number,
  end: { outcome: RunOutcome; retries: number; warnings: string[]; error: string | null },
  now: string,
): Promise<void> {
  await db.run(
    "UPDATE runs SET ended_at = ?, outcome = ?, retries = ?, warnings = ?, error = ? WHERE id = ? AND job = ?",
    [now, end.outcome, end.retries, JSON.stringify(end.warnings), end.error, runId, job],
  );
}

export async function recordRun(db: Db, job: JobId, run: RecordedRun): Promise<number> {
  const row = await db.get<{ id: number | string }>(
    `INSERT INTO runs (job, trigger, started_at, ended_at, outcome, read, sent, filtered, streamed,
       rejected, batches, retries, first_checkpoint, last_checkpoint, warnings, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      job,
      run.trigger,
      run.startedAt,
      run.endedAt,
      run.outcome,
      run.read,
      run.sent,
      run.filtered,
      run.streamed,
      run.rejected,
      run.batches,
      run.retries,
      run.firstCheckpoint,
      run.lastCheckpoint,
      JSON.stringify(run.warnings),
      run.error,
    ],
  );
  return int(row?.id);
}

export async function getRun(db: Db, job: JobId, runId: number): Promise<RunRecord | null> {
  const row = await db.get<RunRow>(`SELECT ${COLUMNS} FROM runs WHERE id = ? AND job = ?`, [
    runId,
    job,
  ]);
  return row ? toRun(row) : null;
}

export async function listRuns(db: Db, job: JobId, query: RunQuery): Promise<RunRecord[]> {
  const where = ["job = ?"];
  const params: Param[] = [job];
  if (query.outcome) {
    where.push("outcome = ?");
    params.push(query.outcome);
  }
  if (query.since) {
    where.push("started_at >= ?");
    params.push(query.since);
  }
  params.push(Math.min(MAX_LIST, Math.max(0, Math.floor(query.limit))));
  const rows = await db.all<RunRow>(
    `SELECT ${COLUMNS} FROM runs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`,
    params,
  );
  return rows.map(toRun);
}

/** Events sent per hour (UTC) by runs that ended from `since` on: 24 numbers. */
export async function sentPerHour(db: Db, job: JobId, since: string): Promise<number[]> {
  const hour =
    db.dialect === "postgres"
      ? "EXTRACT(HOUR FROM COALESCE(ended_at, started_at) AT TIME ZONE 'UTC')"
      : "CAST(strftime('%H', COALESCE(ended_at, started_at)) AS INTEGER)";
  const rows = await db.all<{ hour: number | string; sent: number | string }>(
    `SELECT ${hour} AS hour, SUM(sent) AS sent FROM runs
     WHERE job = ? AND COALESCE(ended_at, started_at) >= ? GROUP BY 1`,
    [job, since],
  );
  const hours = new Array<number>(24).fill(0);
  for (const row of rows) hours[int(row.hour)] = int(row.sent);
  return hours;
}

export async function pruneRuns(db: Db, job: JobId, before: string): Promise<number> {
  const result = await db.run(
    "DELETE FROM runs WHERE job = ? AND started_at < ? AND outcome <> 'running'",
    [job, before],
  );
  return result.changes;
}
