// Runs the CLI the way a user does, in-process (fast, for most tests) or as a child process (for
// signals and crashes), capturing everything it prints.

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = "a2l-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function runCli(
  args: string[],
  env: Record<string, string>,
  cwd = tempDir(),
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

const BIN = new URL("../../bin/auth0-logs-to-logstash", import.meta.url).pathname;

export function spawnCli(args: string[], env: Record<string, string>, cwd: string) {
  const child = spawn(BIN, args, {
    cwd,
    // HOME as a user has it: the checkout's launcher keeps Node's compile cache there (without it
    // every start strips and compiles the sources again: +200 ms, +11 MB).
    env: {
      PATH: process.env.PATH ?? "",
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }),
    );
  });
  return { child, done };
}
