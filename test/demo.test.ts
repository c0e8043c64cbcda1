// `npm run demo`'s arguments: a help, and a clear message (exit 2) for what it does not take,
// never a stack trace. Only the argument handling: the demo itself runs until Ctrl-C.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";

const DEMO = new URL("../scripts/demo.ts", import.meta.url).pathname;
const demo = (...args: string[]) =>
  spawnSync(process.execPath, [DEMO, ...args], { encoding: "utf8", timeout: 20_000 });

it("--help says what the demo runs and its options, exit 0", () => {
  for (const flag of ["--help", "-h"]) {
    const result = demo(flag);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /^Usage: npm run demo \[-- --elasticsearch \| --opensearch \| --opensearch-url URL\]/,
    );
    assert.match(result.stdout, /--opensearch/);
  }
});

it("an unknown option, or both clusters, is one clear line and the usage, exit 2", () => {
  for (const [args, message] of [
    [["--nope"], /^demo: Unknown option '--nope'/],
    [["--elasticsearch", "--opensearch"], /^demo: --elasticsearch and --opensearch: choose one/],
    [["extra"], /^demo: Unexpected argument 'extra'/],
    [["--opensearch-url", "ftp://x"], /^demo: --opensearch-url: must be an http\(s\) URL/],
    [
      ["--opensearch-url", "http://127.0.0.1:9200", "--elasticsearch"],
      /^demo: --opensearch-url writes into a real cluster/,
    ],
  ] as const) {
    const result = demo(...args);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /Usage: npm run demo/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
});
