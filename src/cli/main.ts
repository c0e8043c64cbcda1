// Entry point: picks the command, turns every expected failure into a message and an exit status.

import { readFileSync } from "node:fs";
import { ENV_FILE_VARIABLE, SYSTEM_ENV_FILE } from "../config/gather.ts";
import { ConfigError, describe, ExporterError } from "../errors.ts";
import { mask } from "../util/secrets.ts";
import { type Command, didYouMean, EXIT, type Io, parseCommandArgs, quoted } from "./command.ts";
import { check } from "./commands/check.ts";
import { deadLetters } from "./commands/dead-letters.ts";
import { disable, enable } from "./commands/enable.ts";
import { once } from "./commands/once.ts";
import { replay } from "./commands/replay.ts";
import { run } from "./commands/run.ts";
import { runs } from "./commands/runs.ts";
import { schedule } from "./commands/schedule.ts";
import { setup } from "./commands/setup.ts";
import { status } from "./commands/status.ts";
import { verify } from "./commands/verify.ts";

export const commands: Command[] = [
  run,
  once,
  check,
  setup,
  status,
  runs,
  replay,
  schedule,
  enable,
  disable,
  deadLetters,
  verify,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return pkg.version as string;
}

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `auth0-logs-to-logstash ${version()}: export an Auth0 tenant's logs to Logstash, Elasticsearch or OpenSearch, at least once

Usage: auth0-logs-to-logstash <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Options (every command):
  --config PATH    a tenants file (YAML): several tenants in one deployment (or CONFIG_FILE)
  --env-file PATH  read settings from this file (KEY=value lines) instead of .env
  -h, --help       show this help (or a command's: <command> --help)
  -v, --version    print the version

Settings come from environment variables, then one settings file: --env-file PATH (or
${ENV_FILE_VARIABLE}), else .env in the working directory, else ${SYSTEM_ENV_FILE}
when it exists (the systemd unit's and the container image's); a variable wins over the file.
A tenants file adds its tenants; the README lists every setting.
Exit status: 0 ok, 1 failed, 2 bad settings or arguments.
`;
}

/** The options every command takes, as the variables that would name the same files. */
const GLOBAL_OPTIONS: Record<string, { variable: string; needs: string }> = {
  "--config": { variable: "CONFIG_FILE", needs: "the path of a tenants file" },
  "--env-file": { variable: ENV_FILE_VARIABLE, needs: "the path of a settings file (KEY=value)" },
};

/** `--config PATH` and `--env-file PATH` (or `--x=PATH`) anywhere, before or after the command. */
function takeGlobalOptions(argv: string[], io: Io): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s) : [arg];
    const option = GLOBAL_OPTIONS[flag as string];
    if (option === undefined) {
      rest.push(arg);
      continue;
    }
    const path = inline ?? argv[++i];
    if (path === undefined || path === "")
      throw new ConfigError([`${flag}: needs ${option.needs}`]);
    io.env = { ...io.env, [option.variable]: path };
  }
  return rest;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let args: string[];
  try {
    args = takeGlobalOptions(argv, io);
  } catch (error) {
    io.stderr.write(`error: ${(error as ConfigError).problems.join("\n")}\n`);
    return EXIT.usage;
  }
  const [name, ...rest] = args;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    const topic = name === "help" ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic ? `${topic.usage}\n` : mainHelp());
    return EXIT.ok;
  }
  if (name === "-v" || name === "--version") {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) {
      throw new ConfigError([
        `unknown command ${quoted(name)}${didYouMean(name, [...commands.map((c) => c.name), "help"])}; commands: ${commands.map((c) => c.name).join(", ")} (see --help)`,
      ]);
    }
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      io.stdout.write(`${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(values, positionals, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`${mask(error.problems.map((p) => `error: ${p}`).join("\n"))}\n`);
      return EXIT.usage;
    }
    if (error instanceof ExporterError) {
      io.stderr.write(`error: ${mask(error.message)}\n`);
      return EXIT.failed;
    }
    // A bug: still no stack trace on the terminal unless asked for.
    io.stderr.write(`error: ${mask(describe(error))}\n`);
    if (io.env.DEBUG) io.stderr.write(`${mask(String((error as Error)?.stack ?? ""))}\n`);
    return EXIT.failed;
  }
}
