// The shape every CLI command has, and the helpers they share: settings (one tenant from the
// environment, or several from a tenants file), choosing a tenant, the logger, the store, exit codes.

import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Logger } from "pino";
import { loadDeployment } from "../config/load.ts";
import type { Deployment, JobConfig } from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import type { Store } from "../interfaces.ts";
import { openStore } from "../store/open.ts";
import { createLogger } from "../util/logger.ts";

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(values: Record<string, unknown>, positionals: string[], io: Io): Promise<number>;
}

/** Every command that works on a job takes it: with one tenant it may be left out. */
export const TENANT_OPTION = { tenant: { type: "string" } } as const;
export const TENANT_HELP = `  --tenant ID        the tenant (of the tenants file) to work on; with one tenant it may be left out`;

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message =
      error instanceof Error ? (error.message.split(". ")[0] ?? error.message) : String(error);
    throw new ConfigError([
      `${command.name}: ${message} (see: auth0-logs-to-logstash ${command.name} --help)`,
    ]);
  }
}

export function loadSettings(io: Io): Deployment {
  return loadDeployment(io.env, { cwd: io.cwd });
}

/** The job `--tenant` names, or the only one; several without --tenant is a usage error. */
export function chooseJob(deployment: Deployment, tenant: unknown): JobConfig {
  const ids = deployment.jobs.map((job) => job.id);
  if (typeof tenant === "string") {
    const job = deployment.jobs.find((candidate) => candidate.id === tenant);
    if (!job) {
      throw new ConfigError([
        `--tenant: no tenant "${tenant.slice(0, 64)}"; tenants: ${ids.join(", ")}`,
      ]);
    }
    return job;
  }
  if (deployment.jobs.length === 1) return deployment.jobs[0] as JobConfig;
  throw new ConfigError([
    `--tenant: this deployment has ${ids.length} tenants; name one: ${ids.join(", ")}`,
  ]);
}

export function loggerFor(
  config: { exporterLogLevel: string },
  io: Io,
  tee?: { write(line: string): void },
): Logger {
  return createLogger({
    level: config.exporterLogLevel,
    human: Boolean(io.stderr.isTTY),
    destination: io.stderr,
    ...(tee ? { tee } : {}),
  });
}

export async function withStore<T>(
  where: { databaseUrl: string; databaseTimeoutMs: number },
  work: (store: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(where.databaseUrl, { timeoutMs: where.databaseTimeoutMs });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
