// A failure that nothing caught (a bug) ends the process with one line, masked, and exit 1: no
// stack trace on a user's terminal unless the log level is debug. The bug is made by a module
// loaded before the CLI (node --import), which throws once the CLI has loaded its settings.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { pathToFileURL } from "node:url";
import { spawnCli, tempDir } from "./helpers/cli.ts";
import { world } from "./helpers/world.ts";

const SECRET = "SECRET-client-crash-8d1f";

/** Throws (or rejects) right after the CLI's first line on stderr: its settings are loaded. */
const BUG = `
const write = process.stderr.write.bind(process.stderr);
let armed = true;
process.stderr.write = (chunk, ...rest) => {
  if (armed) {
    armed = false;
    setImmediate(() => {
      const error = new Error("a bug that quotes " + process.env.AUTH0_CLIENT_SECRET + "\\n  and more");
      if (process.env.BUG === "rejection") Promise.reject(error);
      else throw error;
    });
  }
  return write(chunk, ...rest);
};
`;

for (const [bug, level] of [
  ["exception", "info"],
  ["rejection", "info"],
  ["exception", "debug"],
] as const) {
  it(`an uncaught ${bug} at log level ${level}: one masked line, exit 1`, async (t) => {
    const w = await world(t, { tenant: { backlog: 5, clientSecret: SECRET } });
    const preload = join(tempDir(), "bug.mjs");
    writeFileSync(preload, BUG);
    const env = {
      ...w.env,
      AUTH0_CLIENT_SECRET: SECRET,
      EXPORTER_LOG_LEVEL: level,
      BUG: bug,
      NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
    };
    const result = await spawnCli(["once"], env, w.dir).done;
    assert.equal(result.code, 1, result.stderr);
    assert.ok(!result.stderr.includes(SECRET), result.stderr);
    const lines = result.stderr.trim().split("\n");
    const fatal = lines.filter((line) => line.includes(`"level":60`));
    assert.equal(fatal.length, 1, result.stderr);
    assert.match(fatal[0] as string, /unexpected failure.*a bug that quotes \*\*\* and more/);
    const stack = lines.filter((line) => /"stack":".*\\n\s+at /.test(line));
    assert.equal(stack.length, level === "debug" ? 1 : 0, result.stderr);
    assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace outside a log line");
  });
}
