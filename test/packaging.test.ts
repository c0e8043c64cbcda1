// The container image and the Compose example, checked against the code without Docker (the
// machine this runs on has no daemon and no registry): the Dockerfile's base, user, volume, port,
// labels and health check; every variable the compose files set, against the settings table and
// the exporter's own validation; the ports and names the services use to reach each other; the
// Logstash pipeline they mount. And the health check script itself, run against real sockets.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { parseEnv } from "node:util";
import { pino } from "pino";
import ts from "typescript";
import { parse as parseYaml } from "yaml";
import { loadDeployment, loadSetupTargets } from "../src/config/load.ts";
import { ALIASES, settings, settingsByName } from "../src/config/settings.ts";
import type { SinkConfig } from "../src/config/types.ts";
import type { Store } from "../src/interfaces.ts";
import type { Metrics } from "../src/metrics/prometheus.ts";
import type { Supervisor } from "../src/runner/supervisor.ts";
import { healthRoutes, listen, listenerApp } from "../src/web/server.ts";
import { runCli, tempDir } from "./helpers/cli.ts";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const COMPOSE_DIR = join(ROOT, "examples/compose");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  name: string;
  version: string;
  license: string;
  homepage: string;
  description: string;
  repository: { url: string };
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
};

// ---- the Dockerfile, as BuildKit reads it ----

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line) || (pending === "" && line.trim() === "")) continue;
    if (/\\\s*$/.test(line)) {
      pending += `${line.replace(/\\\s*$/, "")} `;
      continue;
    }
    const whole = `${pending}${line}`.trim();
    pending = "";
    if (whole === "") continue;
    const [keyword = ""] = whole.split(/\s+/);
    out.push({ keyword: keyword.toUpperCase(), args: whole.slice(keyword.length).trim() });
  }
  return out;
}

/** key=value pairs of ENV, LABEL and ARG, quotes removed. */
function pairs(args: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const match of args.matchAll(/([\w.-]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g)) {
    const [, key = "", raw = ""] = match;
    map.set(key, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return map;
}

/**
 * Substitutes $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR:?message} and
 * ${VAR?message} (word may hold further substitutions), as Dockerfiles and Compose do; `$$` is a
 * literal `$` (Compose). `used` collects every name looked up; an unmet `?` throws its message.
 */
function substitute(
  text: string,
  vars: Record<string, string | undefined>,
  used: Set<string> = new Set(),
): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "$" && text[i + 1] === "$") {
      out += "$";
      i += 2;
    } else if (c === "$" && text[i + 1] === "{") {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}") depth--;
      }
      const inner = text.slice(i + 2, j - 1);
      const match = /^(\w+)(?:(:?)([-+?])([\s\S]*))?$/.exec(inner);
      assert.ok(match, `cannot read the substitution \${${inner}}`);
      const [, name = "", colon, op, word = ""] = match;
      used.add(name);
      const value = vars[name];
      const set = colon ? value !== undefined && value !== "" : value !== undefined;
      if (op === "-") out += set ? value : substitute(word, vars, used);
      else if (op === "+") out += set ? substitute(word, vars, used) : "";
      else if (op === "?") {
        if (!set) throw new Error(`\${${name}} is required: ${word}`);
        out += value;
      } else out += value ?? "";
      i = j;
    } else if (c === "$" && /[A-Za-z_]/.test(text[i + 1] ?? "")) {
      const name = /^\w+/.exec(text.slice(i + 1))?.[0] ?? "";
      used.add(name);
      out += vars[name] ?? "";
      i += 1 + name.length;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function dockerfile() {
  const all = instructions(read("Dockerfile"));
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of all) {
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = instruction.args.split(/\s+/);
      stages.push({
        from: substitute(image, globalArgs),
        name: as?.toUpperCase() === "AS" ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      assert.equal(instruction.keyword, "ARG", "only ARGs before the first FROM");
      for (const [key, value] of pairs(instruction.args)) globalArgs[key] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  const final = stages.at(-1);
  assert.ok(final);
  const of = (stage: Stage, keyword: string) =>
    stage.instructions.filter((i) => i.keyword === keyword);
  const env = new Map<string, string>();
  for (const i of of(final, "ENV")) for (const [k, v] of pairs(i.args)) env.set(k, v);
  const labels = new Map<string, string>();
  for (const i of of(final, "LABEL")) for (const [k, v] of pairs(i.args)) labels.set(k, v);
  return { globalArgs, stages, final, of, env: Object.fromEntries(env), labels };
}

/** The JSON array of an exec-form instruction; fails on the shell form. */
function execForm(args: string, what: string): string[] {
  assert.ok(args.startsWith("["), `${what} must be in exec form (a JSON array), got: ${args}`);
  return JSON.parse(args) as string[];
}

// ---- the compose files, as Compose reads them ----

type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  ports?: (string | { target: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  restart?: string;
};

interface ComposeProject {
  /** Every service, the included ones too, with the file that defines it. */
  services: Map<string, { service: Service; file: string }>;
  /** Top-level named volumes of every file. */
  volumes: Set<string>;
  /** Each file's parsed YAML, for walking every value. */
  documents: { file: string; doc: unknown }[];
}

function composeProject(file: string): ComposeProject {
  const project: ComposeProject = { services: new Map(), volumes: new Set(), documents: [] };
  const load = (path: string) => {
    const doc = parseYaml(readFileSync(path, "utf8")) as {
      include?: (string | { path: string })[];
      services?: Record<string, Service>;
      volumes?: Record<string, unknown>;
    };
    project.documents.push({ file: path, doc });
    for (const entry of doc.include ?? []) {
      load(resolve(dirname(path), typeof entry === "string" ? entry : entry.path));
    }
    for (const [name, service] of Object.entries(doc.services ?? {})) {
      assert.ok(!project.services.has(name), `${name} is defined twice`);
      project.services.set(name, { service, file: path });
    }
    for (const name of Object.keys(doc.volumes ?? {})) project.volumes.add(name);
  };
  load(file);
  return project;
}

/** A service's environment: raw (as written, before interpolation). */
function rawEnvironment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf("=");
        return at < 0 ? [entry, ""] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? "" : String(v)]));
}

/** Variables as if every one were set: for finding which a text reads. */
const ANY_SET: Record<string, string> = new Proxy({}, { get: () => "x" });

/** Every variable that strings of a parsed YAML document interpolate. */
function interpolated(doc: unknown, used = new Set<string>()): Set<string> {
  if (typeof doc === "string") substitute(doc, ANY_SET, used);
  else if (Array.isArray(doc)) for (const item of doc) interpolated(item, used);
  else if (doc && typeof doc === "object")
    for (const v of Object.values(doc)) interpolated(v, used);
  return used;
}

const envExample = parseEnv(readFileSync(join(COMPOSE_DIR, ".env.example"), "utf8")) as Record<
  string,
  string
>;
/** .env.example filled in as a user would: its values, and a made-up one where it has none. */
const filledEnv = Object.fromEntries(
  Object.entries(envExample).map(([k, v]) => [
    k,
    v !== "" ? v : k.endsWith("PASSWORD") && k !== "DASHBOARD_PASSWORD" ? `p${k.length}x0` : v,
  ]),
);

const published = (service: Service) =>
  (service.ports ?? []).map((port) => {
    if (typeof port === "object") return { target: port.target, published: String(port.published) };
    const parts = port.split(":");
    return { target: Number(parts.at(-1)), published: parts.slice(0, -1).join(":") };
  });

const mounts = (service: Service) =>
  (service.volumes ?? []).map((volume) => {
    if (typeof volume === "object") return { source: volume.source ?? "", target: volume.target };
    const [source = "", target = ""] = volume.split(":");
    return { source, target };
  });

const IMAGE = dockerfile();

/** Whether the service runs this repository's image (built from its Dockerfile). */
function isExporter(service: Service, file: string): boolean {
  const context = typeof service.build === "string" ? service.build : service.build?.context;
  return context !== undefined && resolve(dirname(file), context) === ROOT;
}

/** Variables each Elastic image reads itself, beyond the settings of its product. */
const IMAGE_VARIABLES: Record<string, (name: string) => boolean> = {
  // Elasticsearch: its settings by their own dotted names, the bootstrap password, the JVM.
  "docker.elastic.co/elasticsearch/elasticsearch": (name) =>
    ["ELASTIC_PASSWORD", "ES_JAVA_OPTS"].includes(name) ||
    /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/.test(name),
  // Kibana's image maps these to kibana.yml settings.
  "docker.elastic.co/kibana/kibana": (name) =>
    [
      "ELASTICSEARCH_HOSTS",
      "ELASTICSEARCH_USERNAME",
      "ELASTICSEARCH_PASSWORD",
      "SERVER_NAME",
      "SERVER_PUBLICBASEURL",
    ].includes(name) || /^XPACK_[A-Z_]+$/.test(name),
  "docker.elastic.co/logstash/logstash": (name) => name === "LS_JAVA_OPTS",
};

/** Node's own variables (and glibc's one the launcher sets), which the image may be given too. */
const NODE_VARIABLES = [
  "NODE_OPTIONS",
  "NODE_EXTRA_CA_CERTS",
  "NODE_COMPILE_CACHE",
  "TZ",
  "MALLOC_MMAP_THRESHOLD_",
];

const SETTING_NAMES = new Set([...settings.map((s) => s.name), ...Object.keys(ALIASES)]);

// ---- the Logstash pipeline ----

/** The text without comments (# to the end of the line, outside quotes). */
function uncommented(conf: string): string {
  return conf
    .split("\n")
    .map((line) => {
      let quote: string | null = null;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quote) {
          if (c === "\\") i++;
          else if (c === quote) quote = null;
        } else if (c === '"' || c === "'") quote = c;
        else if (c === "#") return line.slice(0, i);
      }
      return line;
    })
    .join("\n");
}

/** The body of the first `name { … }` block from `from`, braces inside quotes ignored. */
function block(conf: string, name: string, from = 0): { body: string; end: number } {
  const start = new RegExp(`(^|\\s)${name}\\s*\\{`, "g");
  start.lastIndex = from;
  const match = start.exec(conf);
  assert.ok(match, `no ${name} { } block`);
  let depth = 1;
  let quote: string | null = null;
  let i = match.index + match[0].length;
  const bodyStart = i;
  for (; i < conf.length && depth > 0; i++) {
    const c = conf[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "{") depth++;
    else if (c === "}") depth--;
  }
  return { body: conf.slice(bodyStart, i - 1), end: i };
}

const squeeze = (text: string) => text.replace(/\s+/g, " ").trim();

/** `key => value` options of a plugin block, values as written (quotes removed). */
function options(body: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const match of body.matchAll(/(\w+)\s*=>\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+)/g)) {
    const [, key = "", value = ""] = match;
    map.set(key, value.startsWith('"') ? value.slice(1, -1) : value);
  }
  return map;
}

function pipeline(path: string) {
  const conf = uncommented(readFileSync(path, "utf8"));
  const input = block(conf, "input");
  const filter = block(conf, "filter");
  const output = block(conf, "output");
  return {
    input: input.body,
    filter: filter.body,
    http: options(block(input.body, "http").body),
    elasticsearch: options(block(output.body, "elasticsearch").body),
    variables: new Set([...conf.matchAll(/\$\{(\w+)(?::[^}]*)?\}/g)].map((m) => m[1] ?? "")),
  };
}

// ---- the tests ----

describe("the Dockerfile", () => {
  const { stages, final, of, env, labels, globalArgs } = IMAGE;

  it("builds on an official Node 24 image and ships on distroless Node 24, non-root", () => {
    for (const stage of stages.slice(0, -1)) {
      assert.match(stage.from, /^(node:24[\w.-]*|scratch)$/, `build stage ${stage.name}`);
    }
    assert.match(
      final.from,
      /^gcr\.io\/distroless\/nodejs24-debian1[23]:nonroot(@sha256:[0-9a-f]{64})?$/,
    );
    assert.match(globalArgs.BASE_DIGEST ?? "", /^(sha256:[0-9a-f]{64})?$/);
    const users = of(final, "USER").map((i) => i.args);
    assert.ok(users.length > 0, "the final stage names its user");
    const [uid, gid] = (users.at(-1) ?? "").split(":");
    assert.equal(uid, "65532", "distroless's nonroot user, by number (runAsNonRoot needs one)");
    assert.equal(gid, "65532");
  });

  it("installs the tarball that `npm pack` makes, with production dependencies only", () => {
    const runs = stages.flatMap((stage) =>
      stage.instructions.filter((i) => i.keyword === "RUN").map((i) => ({ stage, run: i.args })),
    );
    const pack = runs.find(({ run }) => /\bnpm pack\b/.test(run));
    assert.ok(pack, "a stage runs npm pack");
    assert.ok(
      runs.some(({ stage, run }) => stage === pack.stage && /\bnpm ci\b/.test(run)),
      "from the lockfile",
    );
    const install = runs.find(({ run }) => /install-package\.sh/.test(run));
    assert.ok(install, "a stage installs the package");
    // As the package test installs it (test/package/): scripts/install-package.sh <tarball>
    // <prefix>, the tarball made by npm pack, production dependencies at the shrinkwrap's versions.
    assert.match(read("test/package/install.test.ts"), /scripts\/install-package\.sh/);
    assert.match(read("scripts/install-package.sh"), /npm ci --omit=dev/);
    assert.ok(
      of(install.stage, "COPY").some((i) => i.args.startsWith("scripts/install-package.sh ")),
    );
    assert.match(install.run, new RegExp(`${pkg.name}-\\*\\.tgz`));
    const prefix = /install-package\.sh "\$1" (\S+);/.exec(install.run)?.[1];
    const copied = of(final, "COPY").find((i) =>
      i.args.includes(`${prefix}/lib/node_modules/${pkg.name} `),
    );
    assert.ok(copied, "the final stage copies the installed package");
    assert.ok(copied.args.includes(`--from=${install.stage.name}`));
  });

  it("keeps its state in the /data volume, owned by the non-root user", () => {
    const volumes = of(final, "VOLUME").flatMap((i) => execForm(i.args, "VOLUME"));
    assert.deepEqual(volumes, ["/data"]);
    assert.match(env.DATABASE_URL ?? "", /^sqlite:\/data\/[\w.-]+$/);
    const data = of(final, "COPY").find((i) => / \/data$/.test(i.args));
    assert.ok(data?.args.includes("--chown=65532:65532"), "/data belongs to 65532");
  });

  it("listens on every address, and exposes the ports it sets (the dashboard's, the intake's)", () => {
    assert.equal(env.HTTP_HOST, "0.0.0.0");
    assert.equal(env.INTAKE_HOST, "0.0.0.0");
    const exposed = of(final, "EXPOSE").flatMap((i) => i.args.split(/\s+/));
    assert.deepEqual(exposed, [env.HTTP_PORT, env.INTAKE_PORT]);
    for (const name of ["HTTP_PORT", "INTAKE_PORT"]) {
      assert.equal(settingsByName.get(name)?.schema.safeParse(env[name]).success, true, name);
    }
  });

  it("sets only settings and Node's own variables, and the launcher's memory limits", () => {
    for (const name of Object.keys(env)) {
      assert.ok(
        SETTING_NAMES.has(name) || NODE_VARIABLES.includes(name),
        `${name} is neither a setting nor one of Node's variables`,
      );
    }
    const launcher = read("bin/auth0-logs-to-logstash");
    const flags = [...launcher.matchAll(/--max-[\w-]+-size=\d+/g)].map((m) => m[0]);
    assert.ok(flags.length >= 2, "the launcher's V8 flags");
    for (const flag of flags) assert.ok(env.NODE_OPTIONS?.split(" ").includes(flag), flag);
    const threshold = /MALLOC_MMAP_THRESHOLD_:-(\d+)/.exec(launcher)?.[1];
    assert.equal(env.MALLOC_MMAP_THRESHOLD_, threshold, "glibc as the launcher sets it");
  });

  it("runs the package's binary, `run` by default", () => {
    const entrypoint = execForm(of(final, "ENTRYPOINT").at(-1)?.args ?? "", "ENTRYPOINT");
    // The package's command is a sh launcher (no shell here): the image runs what it runs,
    // with the same memory settings in its environment (checked below).
    assert.equal(pkg.bin[pkg.name], "bin/auth0-logs-to-logstash");
    assert.match(read("bin/auth0-logs-to-logstash"), /entry="\$root\/dist\/cli\/bin\.js"/);
    assert.deepEqual(entrypoint, ["/nodejs/bin/node", "/app/dist/cli/bin.js"]);
    assert.deepEqual(execForm(of(final, "CMD").at(-1)?.args ?? "", "CMD"), ["run"]);
    assert.ok(
      of(final, "COPY").some((i) => i.args.endsWith(`/lib/node_modules/${pkg.name} /app`)),
      "/app is the package's folder",
    );
  });

  it("checks its health without a shell: node on the package's health check script", () => {
    const healthchecks = of(final, "HEALTHCHECK");
    assert.equal(healthchecks.length, 1);
    const args = healthchecks[0]?.args ?? "";
    const at = args.indexOf("CMD ");
    assert.ok(at >= 0, "HEALTHCHECK … CMD [...]");
    const timeout = /--timeout=(\d+)s/.exec(args.slice(0, at))?.[1];
    assert.ok(Number(timeout) > 2, "longer than the script's own 2 s");
    const command = execForm(args.slice(at + 4).trim(), "HEALTHCHECK CMD");
    assert.deepEqual(command, ["/nodejs/bin/node", "/app/dist/cli/healthcheck.js"]);

    // The script is src/cli/healthcheck.ts, which the build compiles to dist/cli/healthcheck.js.
    const source = join(ROOT, "src/cli/healthcheck.ts");
    assert.ok(existsSync(source));
    const buildConfig = /node (\S+)/.exec(pkg.scripts.build ?? "")?.[1];
    assert.ok(buildConfig && read(buildConfig).includes("tsconfig.build.json"));
    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, "tsconfig.build.json"),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    );
    assert.ok(parsed?.fileNames.includes(source), "tsconfig.build.json compiles it");
    assert.ok(parsed);
    const outputs = ts.getOutputFileNames(parsed, source, false).map((f) => relative(ROOT, f));
    assert.ok(outputs.includes("dist/cli/healthcheck.js"), outputs.join(", "));
    const imports = [...read("src/cli/healthcheck.ts").matchAll(/from "([^"]+)"/g)].map(
      (m) => m[1],
    );
    assert.ok(
      imports.every((name) => name?.startsWith("node:")),
      "no import but Node's own: it runs every 30 s",
    );
  });

  it("carries the OCI labels, true to package.json", () => {
    const buildArg = (name: string) => `\${${name}}`;
    const repository = pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
    const expected: Record<string, string> = {
      title: pkg.name,
      source: repository,
      url: repository,
      documentation: pkg.homepage,
      licenses: pkg.license,
      version: buildArg("VERSION"),
      revision: buildArg("REVISION"),
      created: buildArg("CREATED"),
    };
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(labels.get(`org.opencontainers.image.${key}`), value, key);
    }
    assert.ok((labels.get("org.opencontainers.image.description") ?? "").length > 20);
    // VERSION defaults to the package's version wherever it is declared (the install stage
    // refuses a tarball of another version).
    const versions = stages.flatMap((stage) =>
      stage.instructions
        .filter((i) => i.keyword === "ARG" && pairs(i.args).has("VERSION"))
        .map((i) => pairs(i.args).get("VERSION")),
    );
    assert.ok(versions.length >= 2);
    for (const version of versions) assert.equal(version, pkg.version);
  });

  it("is built from a context that holds what `npm pack` needs, and nothing else", () => {
    const patterns = read(".dockerignore")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    assert.equal(patterns[0], "*", "an allowlist: everything is left out first");
    const allowed = new Set(patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1)));
    const buildScript = /node (\S+)/.exec(pkg.scripts.build ?? "")?.[1] ?? "";
    const needed = [
      "package.json",
      "package-lock.json",
      "scripts/shrinkwrap.ts",
      "tsconfig.json",
      "tsconfig.build.json",
      buildScript,
      "src",
      "README.md",
      "LICENSE",
      // dist/ and npm-shrinkwrap.json are made by prepack, inside the build.
      ...pkg.files.filter((entry) => entry !== "dist" && entry !== "npm-shrinkwrap.json"),
    ];
    for (const entry of needed) assert.ok(allowed.has(entry), `.dockerignore lets ${entry} in`);
    for (const entry of allowed) {
      const base = entry.replace(/\/\*.*$/, "");
      assert.ok(existsSync(join(ROOT, base)), `${entry} exists`);
    }
    for (const secret of ["**/.env", "**/*.sqlite"]) assert.ok(patterns.includes(secret));
  });
});

describe("the Compose example", () => {
  const variants = [
    { file: "compose.yaml", sink: "elasticsearch" },
    { file: "compose.logstash.yaml", sink: "logstash" },
  ] as const;
  const projects = variants.map((variant) => ({
    ...variant,
    project: composeProject(join(COMPOSE_DIR, variant.file)),
  }));

  it("sets, for each service, only variables that service reads", () => {
    for (const { file, project } of projects) {
      for (const [name, { service, file: where }] of project.services) {
        const env = rawEnvironment(service);
        const label = `${file}: ${name}`;
        if (isExporter(service, where)) {
          for (const key of Object.keys(env)) {
            assert.ok(
              SETTING_NAMES.has(key) || NODE_VARIABLES.includes(key),
              `${label}: ${key} is not a setting of the exporter`,
            );
          }
          continue;
        }
        const image = service.image?.replace(/:[^/]*$/, "") ?? "";
        const own = IMAGE_VARIABLES[image];
        assert.ok(own, `${label}: an image the test knows (${service.image})`);
        const command = [service.command ?? []].flat().join("\n");
        const script = substitute(command, {});
        const conf = mounts(service)
          .filter((m) => m.target === "/usr/share/logstash/pipeline")
          .flatMap((m) => {
            const dir = resolve(dirname(where), m.source);
            return readdirSync(dir).map((f) => pipeline(join(dir, f)).variables);
          });
        for (const key of Object.keys(env)) {
          const readByScript = new RegExp(`\\$\\{?${key}\\b`).test(script);
          const readByPipeline = conf.some((variables) => variables.has(key));
          assert.ok(
            own(key) || readByScript || readByPipeline,
            `${label}: ${key} is read neither by ${service.image} nor by its command or pipeline`,
          );
        }
      }
    }
  });

  it("gives the exporter every required setting, and settings its validation accepts", async () => {
    const required = settings.filter((s) => s.required).map((s) => s.name);
    assert.deepEqual(required, ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"]);
    for (const { file, sink, project } of projects) {
      const exporters = [...project.services].filter(([, s]) => isExporter(s.service, s.file));
      const runs = exporters.filter(([, s]) => s.service.command === undefined);
      assert.equal(runs.length, 1, `${file}: one exporter running the image's \`run\``);
      const [name, { service }] = runs[0] as [string, { service: Service; file: string }];
      const raw = rawEnvironment(service);
      for (const setting of required)
        assert.ok(setting in raw, `${file}: ${name} lacks ${setting}`);
      assert.ok(
        ["LOGSTASH_URL", "ELASTICSEARCH_URL", "ELASTICSEARCH_CLOUD_ID"].some((s) => s in raw),
        `${file}: ${name} names no sink`,
      );
      // What the container gets: the image's ENV, then the service's environment, interpolated
      // from .env as a user fills it in.
      const env: Record<string, string> = { ...IMAGE.env };
      for (const [key, value] of Object.entries(raw)) env[key] = substitute(value, filledEnv);
      const deployment = loadDeployment(env, { cwd: tempDir() });
      const job = deployment.jobs[0];
      assert.ok(job);
      assert.equal(job.sink.kind, sink, file);
      assert.equal(job.documentFormat, "ecs", `${file}: ECS, as the data view and pipeline expect`);
      if (job.sink.kind === "elasticsearch") {
        assert.equal(job.sink.index, settingsByName.get("ELASTICSEARCH_INDEX")?.default);
        assert.equal(job.sink.autoSetup, true, "installs the template at start");
      }

      // The published port is the one it listens on, on every address.
      assert.equal(deployment.process.http.host, "0.0.0.0");
      assert.deepEqual(
        published(service).map((p) => p.target),
        [deployment.process.http.port],
      );
      // The store is in the volume.
      const store = /^sqlite:(.*)$/.exec(deployment.process.databaseUrl)?.[1] ?? "";
      const volume = mounts(service).find((m) => store.startsWith(`${m.target}/`));
      assert.ok(volume, `${file}: ${deployment.process.databaseUrl} is in a volume`);
      assert.ok(project.volumes.has(volume.source), `${file}: volume ${volume.source} declared`);
      // Its health check is the image's own.
      assert.equal(service.healthcheck, undefined, `${file}: ${name} keeps the image's check`);
    }
  });

  it("runs `setup` for the Logstash variant, for the cluster and format the pipeline writes", async () => {
    const { project } = projects[1] as (typeof projects)[number];
    const exporters = [...project.services].filter(([, s]) => isExporter(s.service, s.file));
    const setup = exporters.find(([, s]) => s.service.command !== undefined);
    assert.ok(setup, "an exporter service running setup");
    const [, { service }] = setup;
    assert.deepEqual(service.command, ["setup"]);
    assert.equal(service.restart, "no");
    assert.equal((await runCli(["setup", "--help"], {})).code, 0, "setup is a command");
    const env: Record<string, string> = { ...IMAGE.env };
    for (const [key, value] of Object.entries(rawEnvironment(service))) {
      env[key] = substitute(value, filledEnv);
    }
    const {
      targets: [target, ...others],
    } = loadSetupTargets(env, { cwd: tempDir() });
    assert.ok(target);
    const cluster = target.sink as SinkConfig;
    assert.ok(cluster.kind === "elasticsearch");
    assert.equal(others.length, 0);

    const run = exporters.find(([, s]) => s.service.command === undefined);
    assert.ok(run);
    const runEnv: Record<string, string> = { ...IMAGE.env };
    for (const [key, value] of Object.entries(rawEnvironment(run[1].service))) {
      runEnv[key] = substitute(value, filledEnv);
    }
    const job = loadDeployment(runEnv, { cwd: tempDir() }).jobs[0];
    assert.equal(target.documentFormat, job?.documentFormat, "the template fits the documents");
    const depends = run[1].service.depends_on as Record<string, { condition?: string }>;
    assert.equal(depends[setup[0]]?.condition, "service_completed_successfully");

    // The pipeline writes where setup prepared.
    const logstash = project.services.get("logstash");
    assert.ok(logstash);
    const pipelineDir = mounts(logstash.service).find(
      (m) => m.target === "/usr/share/logstash/pipeline",
    );
    assert.ok(pipelineDir);
    const dir = resolve(dirname(logstash.file), pipelineDir.source);
    const confs = readdirSync(dir);
    assert.deepEqual(
      confs.filter((f) => f.endsWith(".conf")),
      confs,
    );
    assert.equal(confs.length, 1, "one pipeline: Logstash joins every file of the folder");
    const conf = pipeline(join(dir, confs[0] ?? ""));
    const es = conf.elasticsearch;
    assert.deepEqual(JSON.parse(es.get("hosts") ?? "[]"), cluster.urls);
    assert.equal(
      `${es.get("data_stream_type")}-${es.get("data_stream_dataset")}-${es.get("data_stream_namespace")}`,
      cluster.index,
    );
    assert.equal(es.get("data_stream"), "true");
  });

  it("mounts the pipeline of docs/logstash/, its input and filter unchanged", () => {
    const { project } = projects[1] as (typeof projects)[number];
    const logstash = project.services.get("logstash");
    assert.ok(logstash);
    const mount = mounts(logstash.service).find((m) => m.target === "/usr/share/logstash/pipeline");
    assert.ok(mount, "the pipeline folder is mounted in place of the image's");
    const dir = resolve(dirname(logstash.file), mount.source);
    assert.ok(statSync(dir).isDirectory(), `${mount.source} exists`);
    const [name] = readdirSync(dir);
    const example = pipeline(join(dir, name ?? ""));
    const docs = pipeline(join(ROOT, "docs/logstash/auth0-to-elasticsearch.conf"));
    assert.equal(squeeze(example.input), squeeze(docs.input));
    assert.equal(squeeze(example.filter), squeeze(docs.filter));
    // The output: the docs' own options, but for where and as whom it writes.
    const only = (map: Map<string, string>) =>
      Object.fromEntries(
        [...map].filter(([key]) => !["hosts", "api_key", "user", "password"].includes(key)),
      );
    assert.deepEqual(only(example.elasticsearch), only(docs.elasticsearch));
    // Every variable the pipeline reads is given to Logstash.
    const env = rawEnvironment(logstash.service);
    for (const variable of example.variables) {
      assert.ok(variable in env, `logstash is not given ${variable}`);
    }
  });

  it("connects the services by their names and ports", () => {
    for (const { file, project } of projects) {
      const service = (name: string) => {
        const found = project.services.get(name)?.service;
        assert.ok(found, `${file}: no service ${name}`);
        return found;
      };
      const urlOf = (value: string) => new URL(substitute(value, filledEnv));
      const elasticsearch = service("elasticsearch");
      // Elasticsearch's HTTP port (http.port is left at its default).
      const esPort = 9200;
      assert.deepEqual(
        published(elasticsearch).map((p) => p.target),
        [esPort],
      );
      const esCheck = [elasticsearch.healthcheck?.test ?? []].flat().join(" ");
      assert.match(esCheck, new RegExp(`http://localhost:${esPort}\\b`));
      const kibana = service("kibana");
      const hosts = urlOf(rawEnvironment(kibana).ELASTICSEARCH_HOSTS ?? "");
      assert.equal(`${hosts.hostname}:${hosts.port}`, `elasticsearch:${esPort}`);
      const kibanaCheck = [kibana.healthcheck?.test ?? []].flat().join(" ");
      const kibanaPort = /http:\/\/localhost:(\d+)/.exec(kibanaCheck)?.[1];
      assert.deepEqual(
        published(kibana).map((p) => String(p.target)),
        [kibanaPort],
      );

      for (const [name, { service: s, file: where }] of project.services) {
        if (!isExporter(s, where)) continue;
        const env = rawEnvironment(s);
        if (env.ELASTICSEARCH_URL) {
          const url = urlOf(env.ELASTICSEARCH_URL);
          assert.equal(`${url.hostname}:${url.port}`, `elasticsearch:${esPort}`, name);
        }
        if (env.LOGSTASH_URL) {
          const url = urlOf(env.LOGSTASH_URL);
          const logstash = project.services.get(url.hostname);
          assert.ok(logstash, `${name}: LOGSTASH_URL names a service`);
          const mount = mounts(logstash.service).find(
            (m) => m.target === "/usr/share/logstash/pipeline",
          );
          const dir = resolve(dirname(logstash.file), mount?.source ?? "");
          const [conf] = readdirSync(dir);
          const port = pipeline(join(dir, conf ?? "")).http.get("port");
          assert.equal(url.port, port, `${name}: LOGSTASH_URL's port is the http input's`);
        }
      }

      // Every service waited for exists, and can be waited for that way.
      for (const [name, { service: s }] of project.services) {
        const depends = s.depends_on ?? {};
        const entries: [string, { condition?: string }][] = Array.isArray(depends)
          ? depends.map((d) => [d, {}])
          : Object.entries(depends);
        for (const [other, { condition }] of entries) {
          const target = project.services.get(other);
          assert.ok(target, `${file}: ${name} depends on an unknown ${other}`);
          if (condition === "service_healthy") {
            assert.ok(
              target.service.healthcheck !== undefined || isExporter(target.service, target.file),
              `${file}: ${other} has a health check`,
            );
          }
          if (condition === "service_completed_successfully") {
            assert.equal(target.service.restart, "no", `${file}: ${other} runs once`);
          }
        }
        // Ports only on the loopback address: this is for one's own machine.
        for (const port of published(s)) assert.match(port.published, /^127\.0\.0\.1:\d+$/, name);
      }
    }
  });

  it("has a .env.example naming every variable the compose files read, and nothing else", () => {
    const used = new Set<string>();
    for (const { project } of projects) {
      for (const { doc } of project.documents) interpolated(doc, used);
    }
    assert.deepEqual([...used].sort(), Object.keys(envExample).sort());
    for (const [key, value] of Object.entries(envExample)) {
      if (!SETTING_NAMES.has(key)) continue;
      // A setting in .env reaches the exporter under its own name.
      for (const { file, project } of projects) {
        const exporter = [...project.services].find(
          ([, s]) => isExporter(s.service, s.file) && s.service.command === undefined,
        );
        const raw = rawEnvironment(exporter?.[1].service ?? {});
        const names = new Set<string>();
        substitute(raw[key] ?? "", ANY_SET, names);
        assert.ok(names.has(key), `${file}: the exporter's ${key} comes from .env's ${key}`);
      }
      if (value !== "") {
        const setting = settingsByName.get(key);
        assert.equal(setting?.schema.safeParse(value).success, true, `${key}=${value}`);
      }
    }
    // Without .env, or with a line of it left empty (the passwords), Compose refuses to start
    // and says which; only the dashboard's password may stay empty.
    const strings = (doc: unknown): string[] =>
      typeof doc === "string"
        ? [doc]
        : Array.isArray(doc)
          ? doc.flatMap(strings)
          : doc && typeof doc === "object"
            ? Object.values(doc).flatMap(strings)
            : [];
    const all = projects.flatMap(({ project }) => project.documents.flatMap((d) => strings(d.doc)));
    for (const text of all) {
      for (const [, version] of text.matchAll(/\$\{STACK_VERSION:-([^}]+)\}/g)) {
        assert.equal(version, envExample.STACK_VERSION, "one default version of the stack");
      }
    }
    for (const key of Object.keys(envExample)) {
      const unset = { ...filledEnv, [key]: "" };
      const refuse = () => {
        for (const text of all) substitute(text, unset);
      };
      if (key === "DASHBOARD_PASSWORD") assert.doesNotThrow(refuse);
      else if (key !== "STACK_VERSION") {
        assert.throws(refuse, new RegExp(`\\$\\{${key}\\} is required: set ${key} in \\.env`));
      }
    }
  });

  it("is explained in a README that says it was not run here", () => {
    const readme = readFileSync(join(COMPOSE_DIR, "README.md"), "utf8");
    assert.match(readme, /Not run where it was written/);
    assert.ok(readme.includes("logs-auth0.export-*"), "the data view's index pattern");
    assert.ok(readme.includes(settingsByName.get("ELASTICSEARCH_INDEX")?.default ?? "?"));
    for (const { file } of variants) assert.ok(readme.includes(file), file);
  });
});

describe("the health check script", () => {
  const SCRIPT = join(ROOT, "src/cli/healthcheck.ts");

  function check(env: Record<string, string>) {
    const started = Date.now();
    const child = spawn(process.execPath, [SCRIPT], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
      (done) =>
        child.on("close", (code) => done({ code, stdout, stderr, ms: Date.now() - started })),
    );
  }

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<Server> {
    const server = createServer(handler);
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    return server;
  }
  const portOf = (server: Server) => String((server.address() as AddressInfo).port);

  it("exits 0 when the service's /healthz answers 200", async (t) => {
    const deps = {
      store: {} as Store,
      supervisor: { jobs: () => [] } as unknown as Supervisor,
      metrics: {} as Metrics,
      readyMaxFailures: 3,
    };
    // Behind the guard of host names the service puts first, set up for each HTTP_HOST: the
    // check's Host must be one the service answers to. 0.0.0.0 is the image's: the service
    // listens on every address, the check asks the loopback one.
    for (const host of ["0.0.0.0", "127.0.0.1", "localhost"]) {
      const app = listenerApp({ listen: host, names: [] }, pino({ level: "silent" }));
      app.route("/", healthRoutes(deps));
      const { server, url } = await listen(app, "127.0.0.1", 0);
      t.after(() => server.close());
      const result = await check({ HTTP_HOST: host, HTTP_PORT: new URL(url).port });
      assert.equal(result.code, 0, `${host}: ${result.stderr}`);
      assert.equal(result.stdout, "ok\n");
    }
  });

  it("exits 1 when /healthz answers anything else", async (t) => {
    const paths: string[] = [];
    const server = await serve((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(503).end("no");
    });
    t.after(() => server.close());
    const result = await check({ HTTP_PORT: portOf(server) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\/healthz answered 503/);
    assert.deepEqual(paths, ["/healthz"]);
  });

  it("exits 1 when nothing listens", async () => {
    const server = await serve(() => {});
    const port = portOf(server);
    await new Promise((closed) => server.close(closed));
    const result = await check({ HTTP_PORT: port });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /ECONNREFUSED/);
  });

  it("exits 1 after 2 s when the service accepts but does not answer", async (t) => {
    const server = await serve(() => {});
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const result = await check({ HTTP_PORT: portOf(server) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /did not answer within 2 s/);
    assert.ok(result.ms >= 1_900 && result.ms < 4_500, `${result.ms} ms`);
  });

  it("exits 1 on a port it cannot use", async () => {
    const result = await check({ HTTP_PORT: "0" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /HTTP_PORT/);
  });
});
