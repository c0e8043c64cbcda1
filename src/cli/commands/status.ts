import { ConfigError } from "../../errors.ts";
import type { JobStore } from "../../interfaces.ts";
import { type Health, healthLimits, needsAttention, readHealth } from "../../runner/health.ts";
import {
  lastVerification,
  type RecordedBucket,
  recordedBucket,
  verificationText,
} from "../../runner/job.ts";
import { type JobStatus, jobStatus } from "../../runner/job-actions.ts";
import { effectiveSchedule } from "../../runner/job-schedule.ts";
import {
  type StreamFigures,
  streamEventsText,
  streamFigures,
  streamStatusText,
} from "../../runner/stream-figures.ts";
import { duration } from "../../util/duration-text.ts";
import { type Command, EXIT, TENANT_HELP, TENANT_OPTION } from "../command.ts";
import { columns } from "../format.ts";
import { runsTable } from "../runs-table.ts";
import { type StoredJob, storedJob, withStoreView } from "../store-command.ts";

function holderText(status: JobStatus): string {
  const h = status.holder;
  return h ? `${h.command} pid ${h.pid} on ${h.host}` : "no one (not exported right now)";
}

/** A tenant's status with its health, and its Log Stream's figures when it has a stream. */
type TenantStatus = JobStatus & { health: Health; logStream?: StreamFigures };

/** The health in one line: the state's words, then why. */
function healthText(health: Health): string {
  return health.reasons.length ? `${health.label}: ${health.reasons.join("; ")}` : health.label;
}

/** Scripts and probes act on the exit status: 1 when a tenant fails or is about to lose events. */
function exitFor(statuses: TenantStatus[]): number {
  return statuses.some((s) => needsAttention(s.health)) ? EXIT.failed : EXIT.ok;
}

/** The stream's column: its status as the last sweep read it. */
function streamCell(figures: StreamFigures | undefined): string {
  if (!figures) return "—";
  if (figures.id === null) return "unwatched";
  return figures.health?.status ?? "unknown";
}

/** One line per tenant: what an operator scans first. */
function tenantsTable(statuses: TenantStatus[]): string {
  const streams = statuses.some((s) => s.logStream !== undefined);
  const rows = statuses.map((s) => [
    s.id,
    s.health.label,
    s.lastRun ? `${s.lastRun.outcome} ${s.lastRun.startedAt.replace("T", " ").slice(0, 19)}` : "—",
    s.checkpointProblem
      ? "bad checkpoint"
      : s.lagSeconds === null
        ? "—"
        : duration(s.lagSeconds * 1000),
    String(s.consecutiveFailures),
    String(s.deadLetters.pending),
    s.holder ? `${s.holder.host}:${s.holder.pid}` : "—",
    ...(streams ? [streamCell(s.logStream)] : []),
  ]);
  const header = ["TENANT", "HEALTH", "LAST RUN (UTC)", "LAG", "FAILING", "DEAD", "HELD BY"];
  return columns(streams ? [...header, "STREAM"] : header, rows);
}

export const status: Command = {
  name: "status",
  summary: "Show each tenant's state, schedule, checkpoint and lag, who exports it, the last runs",
  usage: `Usage: auth0-logs-to-logstash status [--tenant ID] [--json] [--limit N]

Reads the store (DATABASE_URL), and creates or changes nothing. For one tenant: whether the job
is enabled, its schedule and next run, the current checkpoint and how far it is behind now, which
process holds it, and the last runs. For a tenant with a Log Stream (LOG_STREAM_TOKEN): its status
as the last sweep read it (LOG_STREAM_ID), and the events delivered by the stream and filled by
the sweep in the last 24 hours, with the age of the last push. With several tenants and no --tenant: one line per tenant.

Health: ok; lagging (behind more than STALE_AFTER or 3 SCHEDULE periods, counted from the last
execution that caught up); failing (the last execution failed, also while the retry runs);
retention at risk (behind more than half of AUTH0_LOG_RETENTION: Auth0 deletes what is not
exported yet); success with dead letters (the last execution dead-lettered documents, still
waiting); disabled. --json has it as "health": {state, label, reasons}.

Options:
${TENANT_HELP}
  --json             print it as JSON, for scripts
  --limit N          how many runs to show (default 10)
  -h, --help         show this help

Exit status: 0; 1 when a tenant shown is failing or its retention is at risk, or when there is no
store at DATABASE_URL (none is created) or it cannot be read; 2 for bad settings or arguments.`,
  options: { json: { type: "boolean" }, limit: { type: "string" }, ...TENANT_OPTION },
  async run(values, _positionals, io) {
    const limit = parseLimit(values.limit);
    return withStoreView(io, "read", async (store, view) => {
      if (values.tenant === undefined && view.jobs.length > 1) {
        const statuses = await Promise.all(
          view.jobs.map((job) => withStream(job, store.forJob(job.id))),
        );
        io.stdout.write(
          values.json ? `${JSON.stringify(statuses, null, 2)}\n` : `${tenantsTable(statuses)}\n`,
        );
        return exitFor(statuses);
      }
      const job = storedJob(view, values.tenant);
      const jobStore = store.forJob(job.id);
      const effective = await effectiveSchedule(jobStore, job.schedule);
      if (effective.ignored) io.stderr.write(`warning: ${effective.ignored}\n`);
      const s = await withStream(job, jobStore);
      const runs = await jobStore.runs.list({ limit });
      const rateLimit = await recordedBucket(jobStore).catch(() => null);
      const verification = await lastVerification(jobStore).catch(() => null);
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ ...s, rateLimit, verification, runs }, null, 2)}\n`);
        return exitFor([s]);
      }
      const lines = [
        ...(job.id === "default" ? [] : [`Tenant:      ${job.id}`]),
        `Health:      ${healthText(s.health)}`,
        `State:       ${s.enabled ? "enabled" : "disabled (no executions; 'enable' to resume)"}`,
        `Schedule:    ${s.schedule}${s.nextRunAt ? `, next run ${s.nextRunAt}` : ""}`,
        `Exported by: ${holderText(s)}`,
        `Checkpoint:  ${s.checkpoint ?? "none yet (the first execution starts from START_FROM or the look-back)"}`,
      ];
      if (s.checkpointProblem) {
        lines.push(
          `Lag:         unknown: the checkpoint cannot be read from: ${s.checkpointProblem}; executions fail until 'replay --since <time>' moves it back`,
        );
      } else if (s.checkpointTime && s.lagSeconds !== null) {
        lines.push(
          `Lag:         ${duration(s.lagSeconds * 1000)} behind (checkpoint time ${s.checkpointTime})`,
        );
      }
      if (rateLimit) lines.push(`Rate limit:  ${bucketText(rateLimit)}`);
      if (s.logStream) {
        lines.push(`Log Stream:  ${streamStatusText(s.logStream)}`);
        lines.push(`Stream:      ${streamEventsText(s.logStream)}`);
      }
      if (verification) lines.push(`Verified:    ${verificationText(verification)}`);
      if (s.deadLetters.pending > 0) {
        lines.push(`Dead letters: ${s.deadLetters.pending} waiting ('dead-letters list')`);
      }
      lines.push("", runs.length ? runsTable(runs) : "No runs yet.");
      io.stdout.write(`${lines.join("\n")}\n`);
      return exitFor([s]);
    });
  },
};

/** The bucket an execution saw, its share in force and the ceiling that makes, in one line. */
export function bucketText(b: RecordedBucket): string {
  const refill =
    b.refillPerSecond === null
      ? "refill unknown"
      : b.refillPerSecond >= 1
        ? `refill ~${b.refillPerSecond.toFixed(1)}/s`
        : `refill ~${(b.refillPerSecond * 60).toFixed(0)}/min`;
  const ceiling = b.ceilingPerMinute === null ? "" : `: at most ${b.ceilingPerMinute} events/min`;
  return `bucket of ${b.limit}, ${refill}, ${b.remaining} left at ${b.at.replace("T", " ").slice(0, 19)} UTC; share ${Math.round(b.share * 100)} %${ceiling}`;
}

async function withStream(job: StoredJob, jobStore: JobStore): Promise<TenantStatus> {
  const [status, figures] = await Promise.all([
    jobStatus(job, jobStore, undefined),
    job.logStream ? streamFigures(jobStore, job.logStream) : undefined,
  ]);
  const health = await readHealth(status, jobStore, healthLimits(job, status.schedule));
  return figures ? { ...status, health, logStream: figures } : { ...status, health };
}

export function parseLimit(value: unknown, fallback = 10): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ConfigError([
      `--limit: must be a whole number from 1 to 10000, got "${String(value)}"`,
    ]);
  }
  return limit;
}
