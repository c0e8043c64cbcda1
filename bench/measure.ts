// Runs a measured child process (the exporter or the floor) and collects its wall time, CPU time
// and peak RSS, as reported by bench/usage.ts from inside it.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const USAGE = join(ROOT, "bench/usage.ts");

export interface Measured {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  /** Peaks sampled every 250 ms inside the process. */
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "a2l-bench-"));
}

export async function measure(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  options: {
    onStart?: (kill: (signal: NodeJS.Signals) => void) => void;
    /** Each chunk of the process's stderr as it comes (a service says its address there). */
    onStderr?: (chunk: string) => void;
  } = {},
): Promise<Measured> {
  const usageFile = join(tempDir(), "usage.json");
  const started = performance.now();
  // The exporter runs through its executable, with the Node flags a user gets.
  const [command, commandArgs] =
    script === "bin"
      ? [join(ROOT, "bin/auth0-logs-to-logstash"), args]
      : [process.execPath, ["--disable-warning=ExperimentalWarning", join(ROOT, script), ...args]];
  const child = spawn(command, commandArgs, {
    cwd: tempDir(),
    env: {
      PATH: process.env.PATH ?? "",
      // A user's shell has HOME, where the checkout's launcher keeps Node's compile cache.
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      ...env,
      NODE_OPTIONS: `--import=${USAGE} ${env.NODE_OPTIONS ?? ""}`.trim(),
      BENCH_USAGE_FILE: usageFile,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    options.onStderr?.(String(chunk));
  });
  options.onStart?.((signal) => child.kill(signal));
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  const wallMs = performance.now() - started;
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as {
    userMs: number;
    systemMs: number;
    maxRssKb: number;
    heapUsedMb: number;
    externalMb: number;
    arrayBuffersMb: number;
  };
  return {
    wallMs,
    cpuMs: usage.userMs + usage.systemMs,
    maxRssMb: usage.maxRssKb / 1024,
    heapUsedMb: usage.heapUsedMb,
    externalMb: usage.externalMb,
    arrayBuffersMb: usage.arrayBuffersMb,
    stdout,
    stderr,
    code,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
