// `npm run demo -- --stream`: its arguments (a help, exit 2 with one clear line for what it does not
// take), and that the service starts with the stream's settings while the tenant pushes.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { it } from "node:test";

const DEMO = new URL("../scripts/demo.ts", import.meta.url).pathname;
const demo = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [DEMO, ...args], {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, ...env },
  });

it("--help names --stream and what it shows: events by path", () => {
  const result = demo(["--help"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Usage: npm run demo .*\[--stream\]$/m);
  assert.match(result.stdout, /--stream {11}the tenant also pushes its new events like an Auth0/);
  assert.match(result.stdout, /events by\s+path \(stream, sweep\) on the dashboard/);
  assert.match(result.stdout, /INTAKE_PORT/);
});

it("a value given to --stream, or a bad INTAKE_PORT, is one clear line and the usage, exit 2", () => {
  for (const [args, env, message] of [
    [["--stream=yes"], {}, /^demo: Option '--stream' does not take an argument/],
    [["--stream"], { INTAKE_PORT: "80a" }, /^demo: INTAKE_PORT: must be a port number/],
    [["--stream"], { INTAKE_PORT: "70000" }, /^demo: INTAKE_PORT: must be a port number/],
    [
      ["--stream"],
      { INTAKE_PORT: "4100", HTTP_PORT: "4100" },
      /^demo: INTAKE_PORT and HTTP_PORT: the intake is a second listener/,
    ],
  ] as const) {
    const result = demo([...args], env);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /Usage: npm run demo/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
});

it("with --stream the service starts with the stream's settings and the banner says so", async () => {
  const child = spawn(process.execPath, [DEMO, "--stream"], {
    env: { ...process.env, HTTP_PORT: "0", INTAKE_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, "exit");
  try {
    const deadline = Date.now() + 30_000;
    // The service logs "listening" once its configuration (token, intake port, TAIL off) loaded.
    while (!/"msg":"listening"/.test(stderr)) {
      assert.equal(child.exitCode, null, `the demo stopped early:\n${stdout}\n${stderr}`);
      assert.ok(Date.now() < deadline, `no "listening" in time:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(
      stdout,
      /Log Stream {2}pushing JSON lines to http:\/\/127\.0\.0\.1:\d+\/log-stream/,
    );
    assert.match(stdout, /events by path/);
    assert.doesNotMatch(stderr, /"level":(40|50)/, "no warning or error at start");
    assert.doesNotMatch(stderr, /Bearer /, "the stream's token is never logged");
  } finally {
    child.kill("SIGINT");
    await exited;
  }
});
