// The shape every CLI command has, and the helpers they share: settings (one tenant from the
// environment, or several from a tenants file), choosing a tenant, the logger, the store, exit codes.

import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Logger } from "pino";
import { loadDeployment } from "../config/load.ts";
import { closestName } from "../config/misspelt.ts";
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
  /** It takes arguments (an action, numbers…) and checks them itself; others refuse any. */
  positionals?: true;
  run(values: Record<string, unknown>, positionals: string[], io: Io): Promise<number>;
}

/** Every command that works on a job takes it: with one tenant it may be left out. */
export const TENANT_OPTION = { tenant: { type: "string" } } as const;
export const TENANT_HELP = `  --tenant ID        the tenant (of the tenants file) to work on; with one tenant it may be left out`;

/** A word as a message may quote it: bounded, nothing that moves a terminal. */
export function quoted(word: string): string {
  return `"${(word.length > 60 ? `${word.slice(0, 60)}…` : word).replace(/\p{C}/gu, "?")}"`;
}

/** " (did you mean X?)" when `word` is a near miss of one of `names`, else "". */
export function didYouMean(word: string, names: readonly string[]): string {
  const meant = closestName(word, names);
  return meant === undefined || meant === word ? "" : ` (did you mean ${meant}?)`;
}

export function parseCommandArgs(command: Command, argv: string[]) {
  const options = { ...command.options, help: { type: "boolean", short: "h" } } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message =
      error instanceof Error ? (error.message.split(". ")[0] ?? error.message) : String(error);
    const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(message)?.[1];
    const hint = unknown
      ? didYouMean(
          unknown.replace(/^-+/, "--"),
          Object.keys(options).map((name) => `--${name}`),
        )
      : "";
    throw new ConfigError([
      `${command.name}: ${message}${hint} (see: auth0-logs-to-logstash ${command.name} --help)`,
    ]);
  }
  if (!command.positionals && parsed.positionals.length > 0 && !parsed.values.help) {
    const extra = parsed.positionals;
    throw new ConfigError([
      `${command.name}: unexpected argument${extra.length > 1 ? "s" : ""} ${extra.slice(0, 5).map(quoted).join(" ")}; it takes none (see: auth0-logs-to-logstash ${command.name} --help)`,
    ]);
  }
  return parsed as { values: Record<string, unknown>; positionals: string[] };
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
