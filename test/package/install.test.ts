// The npm package as a user installs it, outside the checkout: `npm pack` (which builds dist/),
// then the tarball installed into a prefix of its own with production dependencies only, as
// `npm install -g` or `npx` would. The installed binary must answer --help, check a simulated
// tenant, drain it with `once`, and serve /healthz with `run`; on Node 24 and on Node 22, the
// LTS before it. (The container image installs this same tarball: Dockerfile.)

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { request } from "undici";
import { startLogstash } from "../../src/simulator/logstash.ts";
import { startTenant } from "../../src/simulator/tenant.ts";
import { tempDir } from "../helpers/cli.ts";
import { exporterEnv } from "../helpers/env.ts";

const run = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;
const NODE_24 = join(ROOT, "node_modules/node/bin/node");
/** Node 22, installed from the npm registry once per machine (node_modules/.cache). */
const NODE_22_VERSION = "22.23.3";
const NODE_22_HOME = join(ROOT, `node_modules/.cache/node-${NODE_22_VERSION}`);
const { version } = JSON.parse(
  await import("node:fs").then((fs) => fs.readFileSync(join(ROOT, "package.json"), "utf8")),
) as { version: string };

/** A PATH whose `node` is `binary`, ahead of the system's (Node 20 on these machines). */
function pathWith(binary: string): string {
  const dir = tempDir("a2l-node-");
  symlinkSync(binary, join(dir, "node"));
  return `${dir}:${process.env.PATH ?? ""}`;
}

async function npm(args: string[], cwd: string) {
  return run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    env: { ...process.env, npm_config_update_notifier: "false" },
    maxBuffer: 64 * 1024 * 1024,
  });
}

function installed(prefix: string, path: string) {
  const bin = join(prefix, "bin/auth0-logs-to-logstash");
  return (args: string[], env: Record<string, string>, cwd: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(bin, args, { cwd, env: { PATH: path, ...env } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

describe("the npm package, installed from its tarball", { timeout: 600_000 }, () => {
  let prefix = "";
  let tarball = "";

  before(async () => {
    const packed = tempDir("a2l-pack-");
    const { stdout } = await npm(["pack", "--pack-destination", packed], ROOT);
    tarball = join(packed, stdout.trim().split("\n").at(-1) as string);
    prefix = tempDir("a2l-prefix-");
    await npm(
      ["install", "--global", "--prefix", prefix, "--omit=dev", "--prefer-offline", tarball],
      prefix,
    );
  });

  it("holds compiled JavaScript and production dependencies only", () => {
    const home = join(prefix, "lib/node_modules/auth0-logs-to-logstash");
    assert.ok(existsSync(join(home, "dist/cli/bin.js")));
    assert.ok(existsSync(join(home, "dist/web/public/app.js")), "the dashboard's files");
    assert.ok(existsSync(join(home, "dist/store/postgres/migrations/000001.sql")));
    assert.ok(existsSync(join(home, "LICENSE")) && existsSync(join(home, "CHANGELOG.md")));
    assert.ok(!existsSync(join(home, "src")), "no TypeScript sources");
    assert.ok(!existsSync(join(home, "dist/simulator")), "the simulator stays in the checkout");
    const modules = readdirSync(join(home, "node_modules"));
    for (const dev of ["typescript", "playwright-core", "@biomejs", "node", "@types"]) {
      assert.ok(!modules.includes(dev), `${dev} is a devDependency`);
    }
  });

  for (const [name, node] of [
    ["Node 24", () => NODE_24],
    ["Node 22", () => join(NODE_22_HOME, "node_modules/node/bin/node")],
  ] as const) {
    describe(`on ${name}`, () => {
      let cli: ReturnType<typeof installed>;
      before(async () => {
        if (name === "Node 22" && !existsSync(node())) {
          mkdirSync(NODE_22_HOME, { recursive: true });
          await npm(["install", "--prefix", NODE_22_HOME, `node@${NODE_22_VERSION}`], NODE_22_HOME);
        }
        cli = installed(prefix, pathWith(node()));
      });

      it("answers --help with its version", async () => {
        const help = await cli(["--help"], {}, tempDir());
        assert.equal(help.code, 0, help.stderr);
        assert.match(
          help.stdout,
          new RegExp(`auth0-logs-to-logstash ${version.replace(/\./g, "\\.")}`),
        );
        assert.equal(help.stderr, "", "no warning on a plain --help");
      });

      it("checks a simulated tenant, drains it with once, and serves /healthz with run", async () => {
        const tenant = await startTenant({ backlog: 1200 });
        const logstash = await startLogstash();
        after(async () => {
          await tenant.close();
          await logstash.close();
        });
        const dir = tempDir();
        const env = { ...exporterEnv(tenant, logstash, dir), EXPORTER_LOG_LEVEL: "warn" };
        const check = await cli(["check"], env, dir);
        assert.equal(check.code, 0, check.stdout + check.stderr);
        const once = await cli(["once", "--json"], env, dir);
        assert.equal(once.code, 0, once.stderr);
        assert.equal(JSON.parse(once.stdout).sent, tenant.eventIds().length);
        const counts = logstash.idCounts();
        assert.deepEqual(
          tenant.eventIds().filter((id) => !counts.has(id)),
          [],
        );

        const service = spawn(join(prefix, "bin/auth0-logs-to-logstash"), ["run"], {
          cwd: dir,
          env: { PATH: pathWith(node()), ...env, HTTP_PORT: "0", EXPORTER_LOG_LEVEL: "info" },
        });
        let stderr = "";
        service.stderr.on("data", (chunk) => (stderr += chunk));
        const exited = new Promise<number | null>((resolve) => service.on("close", resolve));
        const deadline = Date.now() + 20_000;
        let url: string | undefined;
        while (!url && Date.now() < deadline) {
          url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1];
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.ok(url, stderr);
        const health = await request(`${url}/healthz`);
        assert.equal(health.statusCode, 200);
        await health.body.dump();
        const page = await request(`${url}/static/app.js`);
        assert.notEqual(page.statusCode, 404, "the dashboard's files are found where installed");
        await page.body.dump();
        service.kill("SIGTERM");
        assert.equal(await exited, 0, stderr);
        assert.doesNotMatch(stderr, /ExperimentalWarning|ERR_/, stderr);
      });
    });
  }
});
