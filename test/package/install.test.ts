// The npm package as a user installs it, outside the checkout: `npm pack` (which builds dist/),
// then the tarball installed into a prefix of its own with production dependencies only, as
// `npm install -g` from the registry would (scripts/install-package.sh: with the versions of the
// npm-shrinkwrap.json the package ships, as the container image installs it too). The installed
// binary must answer --help, check a simulated tenant, drain it with `once`, and serve /healthz
// with `run`; on Node 24 and on Node 22, the LTS before it.

import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { request } from "undici";
import { startLogstash } from "../../simulator/logstash.ts";
import { startTenant } from "../../simulator/tenant.ts";
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

/** A `node` on the PATH older than the package's engines (the machines' Node 20), if any. */
function olderNode(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = join(dir, "node");
    if (dir.startsWith(ROOT) || !existsSync(candidate)) continue;
    const shown = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
    const [major = 0, minor = 0] = shown.slice(1).split(".").map(Number);
    if (major < 22 || (major === 22 && minor < 16)) return candidate;
  }
  return undefined;
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
    await run("sh", [join(ROOT, "scripts/install-package.sh"), tarball, prefix], {
      env: { ...process.env, npm_config_update_notifier: "false" },
      maxBuffer: 64 * 1024 * 1024,
    });
  });

  it("also installs with npm install -g of the tarball itself", async () => {
    const other = tempDir("a2l-prefix-");
    await npm(
      ["install", "--global", "--prefix", other, "--omit=dev", "--prefer-offline", tarball],
      other,
    );
    const help = await installed(other, pathWith(NODE_24))(["--help"], {}, tempDir());
    assert.equal(help.code, 0, help.stderr);
  });

  it("holds compiled JavaScript and production dependencies only", () => {
    const home = join(prefix, "lib/node_modules/auth0-logs-to-logstash");
    assert.ok(existsSync(join(home, "dist/cli/bin.js")));
    assert.ok(existsSync(join(home, "dist/web/public/app.js")), "the dashboard's files");
    assert.ok(existsSync(join(home, "dist/store/postgres/migrations/000001.sql")));
    assert.ok(existsSync(join(home, "LICENSE")) && existsSync(join(home, "CHANGELOG.md")));
    assert.ok(!existsSync(join(home, "src")), "no TypeScript sources");
    assert.ok(!existsSync(join(home, "dist/simulator")), "the simulator stays in the checkout");
    // The versions the tests ran with: the lockfile, which the package ships as npm-shrinkwrap.json.
    assert.ok(existsSync(join(home, "npm-shrinkwrap.json")), "the package ships the lockfile");
    assert.ok(
      !existsSync(join(ROOT, "npm-shrinkwrap.json")),
      "the checkout keeps package-lock.json",
    );
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string }>;
    };
    for (const name of ["hono", "undici", "zod", "pino", "pg"]) {
      const shipped = JSON.parse(
        readFileSync(join(home, "node_modules", name, "package.json"), "utf8"),
      ) as { version: string };
      assert.equal(shipped.version, lock.packages[`node_modules/${name}`]?.version, name);
    }
    const modules = readdirSync(join(home, "node_modules"));
    for (const dev of ["typescript", "playwright-core", "@biomejs", "node", "@types"]) {
      assert.ok(!modules.includes(dev), `${dev} is a devDependency`);
    }
  });

  it("leaves a heap limit given in NODE_OPTIONS to the user", async () => {
    const cli = installed(prefix, pathWith(NODE_24));
    const dir = tempDir();
    const probe = join(dir, "heap-limit.mjs");
    writeFileSync(
      probe,
      'import v8 from "node:v8"; process.stderr.write("heap limit " + v8.getHeapStatistics().heap_size_limit + "\\n");',
    );
    const limitWith = async (options: string) => {
      const shown = await cli(["--version"], { NODE_OPTIONS: options }, dir);
      assert.equal(shown.code, 0, shown.stderr);
      return Number(/heap limit (\d+)/.exec(shown.stderr)?.[1]) / 2 ** 20;
    };
    const ours = await limitWith(`--import=${probe}`);
    const theirs = await limitWith(`--import=${probe} --max-old-space-size=512`);
    assert.ok(ours < 300, `the command's own limit: ${ours} MiB`);
    assert.ok(theirs > 500, `NODE_OPTIONS' limit wins: ${theirs} MiB`);
  });

  it("tells a user of an older Node what it needs, without a stack trace", async (t) => {
    const older = olderNode();
    if (!older) return t.skip("no Node older than 22.16 on this machine");
    const cli = installed(prefix, pathWith(older));
    const answer = await cli(["--help"], {}, tempDir());
    assert.equal(answer.code, 1);
    assert.match(answer.stderr, /needs Node\.js 22\.16 or later .*this is Node\.js \d+/);
    assert.doesNotMatch(answer.stderr, /\n\s+at /);
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
        // The command starts Node itself with the memory settings (exec: the pid is Node's).
        const cmdline = readFileSync(`/proc/${service.pid}/cmdline`, "utf8").split("\0");
        assert.ok(cmdline.includes("--max-old-space-size=256"), cmdline.join(" "));
        assert.ok(cmdline.includes("--max-semi-space-size=4"), cmdline.join(" "));
        assert.match(
          readFileSync(`/proc/${service.pid}/environ`, "utf8"),
          /MALLOC_MMAP_THRESHOLD_=/,
        );
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
