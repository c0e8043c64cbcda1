#!/usr/bin/env node
// The command line's entry point: the checkout's bin/auth0-logs-to-logstash runs this file from
// source, the npm package its compiled copy (dist/cli/bin.js), and the container image the same.

import type { Io } from "./command.ts";

// Node 22 calls node:sqlite experimental and says so on stderr at every start; the checkout's
// launcher passes --disable-warning, which a package's binary cannot. Only that warning goes:
// installed before the modules load (hence the import() below), since loading one emits it.
const emitWarning = process.emitWarning;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === "string" ? warning : warning.message;
  if (/SQLite is an experimental feature/.test(text)) return;
  return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
}) as typeof process.emitWarning;

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
