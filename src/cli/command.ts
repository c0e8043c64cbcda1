// The shape every CLI command has, and the helpers they share: settings, logger, store, exit codes.

import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Logger } from "pino";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/types.ts";
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

export function loadSettings(io: Io): Config {
  return loadConfig(io.env, { cwd: io.cwd });
}

export function loggerFor(
  config: Pick<Config, "exporterLogLevel">,
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

export async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config.databaseUrl);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
