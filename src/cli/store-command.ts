// Commands that work on the store alone (status, runs, replay, enable, disable, schedule,
// dead-letters) need only the settings that locate the store and describe each job, not the
// Auth0 or sink credentials: without a tenants file a few settings are read; with one, the file.

import { loadDeployment, loadSome } from "../config/load.ts";
import { ConfigError } from "../errors.ts";
import type { Store } from "../interfaces.ts";
import { openExistingStore, openStore } from "../store/open.ts";
import { mask } from "../util/secrets.ts";
import type { Io } from "./command.ts";

/** What a store command knows of a job. */
export interface StoredJob {
  id: string;
  schedule: string;
  auth0LogRetentionMs: number;
  staleAfterMs: number;
  /** It has a Log Stream (LOG_STREAM_TOKEN), and its id when watched (LOG_STREAM_ID). */
  logStream: { id: string | undefined } | undefined;
}

export interface StoreView {
  databaseUrl: string;
  databaseTimeoutMs: number;
  jobs: StoredJob[];
}

/**
 * The store and the jobs, from the settings; what the settings' warnings say (a name that is not a
 * setting) goes to stderr, once.
 */
export function storeView(io: Io): StoreView {
  const file = io.env.CONFIG_FILE;
  if (file) {
    const deployment = loadDeployment(io.env, { cwd: io.cwd });
    warn(io, deployment.process.warnings);
    return {
      databaseUrl: deployment.process.databaseUrl,
      databaseTimeoutMs: deployment.process.databaseTimeoutMs,
      jobs: deployment.jobs.map((job) => ({
        id: job.id,
        schedule: job.schedule,
        auth0LogRetentionMs: job.auth0LogRetentionMs,
        staleAfterMs: job.staleAfterMs,
        logStream: job.logStream ? { id: job.logStream.id } : undefined,
      })),
    };
  }
  const { values, warnings } = loadSome(
    io.env,
    [
      "DATABASE_URL",
      "DATABASE_TIMEOUT",
      "SCHEDULE",
      "AUTH0_LOG_RETENTION",
      "STALE_AFTER",
      "LOG_STREAM_TOKEN",
      "LOG_STREAM_ID",
    ],
    { cwd: io.cwd },
  );
  warn(io, warnings);
  return {
    databaseUrl: values.DATABASE_URL as string,
    databaseTimeoutMs: values.DATABASE_TIMEOUT as number,
    jobs: [
      {
        id: "default",
        schedule: values.SCHEDULE as string,
        auth0LogRetentionMs: values.AUTH0_LOG_RETENTION as number,
        staleAfterMs: values.STALE_AFTER as number,
        logStream:
          values.LOG_STREAM_TOKEN === undefined
            ? undefined
            : { id: values.LOG_STREAM_ID as string | undefined },
      },
    ],
  };
}

function warn(io: Io, warnings: string[]): void {
  for (const warning of warnings) io.stderr.write(`warning: ${mask(warning)}\n`);
}

/** The job `--tenant` names, or the only one. */
export function storedJob(view: StoreView, tenant: unknown): StoredJob {
  const ids = view.jobs.map((job) => job.id);
  if (typeof tenant === "string") {
    const job = view.jobs.find((candidate) => candidate.id === tenant);
    if (!job)
      throw new ConfigError([
        `--tenant: no tenant "${tenant.slice(0, 64)}"; tenants: ${ids.join(", ")}`,
      ]);
    return job;
  }
  if (view.jobs.length === 1) return view.jobs[0] as StoredJob;
  throw new ConfigError([
    `--tenant: this deployment has ${ids.length} tenants; name one: ${ids.join(", ")}`,
  ]);
}

/**
 * Runs `work` on the store. A command that only reads (`access: "read"`) never creates or changes
 * one: no store at DATABASE_URL is an error (exit 1), not an empty store described as the user's.
 */
export async function withStoreView<T>(
  io: Io,
  access: "read" | "write",
  work: (store: Store, view: StoreView) => Promise<T>,
): Promise<T> {
  const view = storeView(io);
  const store =
    access === "read"
      ? await openExistingStore(view.databaseUrl, { timeoutMs: view.databaseTimeoutMs })
      : await openStore(view.databaseUrl, { timeoutMs: view.databaseTimeoutMs });
  try {
    return await work(store, view);
  } finally {
    await store.close();
  }
}
