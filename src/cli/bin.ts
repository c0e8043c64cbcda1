#!/usr/bin/env node
// The command line's entry point: the checkout's bin/auth0-logs-to-logstash runs this file from
// source, the npm package its compiled copy (dist/cli/bin.js), and the container image the same.

import type { Io } from "./command.ts";

// An older Node would fail later on a missing built-in (node:sqlite) with a stack trace: say what
// is needed instead. Kept equal to package.json's engines by a test.
const NODE_REQUIRED = [22, 16] as const;
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < NODE_REQUIRED[0] || (major === NODE_REQUIRED[0] && minor < NODE_REQUIRED[1])) {
  process.stderr.write(
    `error: auth0-logs-to-logstash needs Node.js ${NODE_REQUIRED.join(".")} or later (24 LTS recommended); this is Node.js ${process.versions.node}\n`,
  );
  process.exit(1);
}

// Node 22 calls node:sqlite experimental and says so on stderr at every start; the checkout's
// launcher passes --disable-warning, which a package's binary cannot. Only that warning goes:
// installed before the modules load (hence the import() below), since loading one emits it.
const emitWarning = process.emitWarning;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === "string" ? warning : warning.message;
  if (/SQLite is an experimental feature/.test(text)) return;
  return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
}) as typeof process.emitWarning;

// A failure nothing caught (a bug: a throw in a timer, a promise nobody awaited) ends the process
// with one masked line, never a stack trace on a user's terminal (the stack at debug level). Exit
// 1 rather than carry on in an unknown state: nothing is lost, the checkpoint only moves after
// delivery, so the next start resumes where the last commit left off.
const { crashHandler } = await import("./crash.ts");
process.on("uncaughtException", crashHandler(process.env));
process.on("unhandledRejection", crashHandler(process.env));

const { main } = await import("./main.ts");
const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
};
const code = await main(process.argv.slice(2), io);
// Let stdout drain before exiting; pending timers and sockets must not keep us alive.
process.exitCode = code;
setTimeout(() => process.exit(code), 100).unref();
