// The deployment files in deploy/ agree with the code: every manifest's port, probe paths, setting
// names, required settings, volume paths and tenants file; the systemd unit's hardening, its
// `check` before start and what `systemd-analyze verify` says of it.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { describe, it } from "node:test";
import { parseEnv } from "node:util";
import { Hono } from "hono";
import { parse, parseAllDocuments } from "yaml";
import { loadDeployment } from "../src/config/load.ts";
import { ALIASES, settings } from "../src/config/settings.ts";
import type { Metrics } from "../src/metrics/prometheus.ts";
import type { Supervisor } from "../src/runner/supervisor.ts";
import type { HostRules } from "../src/util/hosts.ts";
import { hostGuard } from "../src/web/host-guard.ts";
import { healthRoutes } from "../src/web/server.ts";
import { tempDir } from "./helpers/cli.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const KUBERNETES = join(ROOT, "deploy/kubernetes");
const SYSTEMD = join(ROOT, "deploy/systemd");
const IMAGE = "ghcr.io/auth0-logs-to-logstash/auth0-logs-to-logstash";
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** Variables that are not settings but that the runtime reads. */
const RUNTIME_VARIABLES = new Set(["NODE_OPTIONS", "TZ"]);
const KNOWN = new Set([...settings.map((s) => s.name), ...Object.keys(ALIASES)]);

/** A constant of the service's source, so that the manifests follow it when it changes. */
function sourceConstant(file: string, name: string): number {
  const text = readFileSync(join(ROOT, file), "utf8");
  const match = new RegExp(`const ${name} = ([\\d_* ]+);`).exec(text);
  assert.ok(match?.[1], `${name} not found in ${file}: update this test`);
  return match[1]
    .split("*")
    .map((factor) => Number(factor.trim().replaceAll("_", "")))
    .reduce((a, b) => a * b, 1);
}
const GRACE_S = sourceConstant("src/cli/commands/run.ts", "GRACE_MS") / 1000;
const STORE_WAIT_S = sourceConstant("src/cli/commands/run.ts", "STORE_OPEN_RETRY_MS") / 1000;

/**
 * The status the service's own health routes answer for a path (404: no such route), behind the
 * guard of host names the listener puts first (421: not a host it answers to).
 */
async function routeStatus(path: string, hosts: HostRules, host: string): Promise<number> {
  const app = new Hono();
  app.use("*", hostGuard(hosts));
  const routes = healthRoutes({
    supervisor: {
      jobs: () => [],
      runner: () => undefined,
      readiness: () => [],
    } as unknown as Supervisor,
    metrics: {
      registry: { metrics: async () => "", contentType: "text/plain" },
    } as unknown as Metrics,
    readyMaxFailures: 3,
  });
  app.route("/", routes);
  return (await app.request(`http://${host}${path}`)).status;
}

// Kubernetes ---------------------------------------------------------------------------------

interface Meta {
  name: string;
  labels?: Record<string, string>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Probe {
  httpGet?: {
    path: string;
    port: string | number;
    host?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field
  securityContext?: any;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
}

/** A variant's objects, from the files its kustomization.yaml lists. */
function loadVariant(dir: string): { files: string[]; objects: K8sObject[] } {
  const kustomization = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as {
    resources: string[];
  };
  const objects: K8sObject[] = [];
  for (const file of kustomization.resources) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      assert.deepEqual(doc.errors, [], `${file}: YAML errors`);
      objects.push(doc.toJS() as K8sObject);
    }
  }
  return { files: kustomization.resources, objects };
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0] as K8sObject;
}

function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name} is referenced but not defined`);
  return found;
}

/** Whether a selector's labels are all among the given labels. */
function selects(selector: Record<string, string>, labels: Record<string, string> | undefined) {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The container's environment: envFrom ConfigMaps and Secrets, then env (which wins). */
function environment(objects: K8sObject[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef)
      Object.assign(env, named(objects, "ConfigMap", from.configMapRef.name).data);
    if (from.secretRef) {
      const secret = named(objects, "Secret", from.secretRef.name);
      for (const [k, v] of Object.entries(secret.data ?? {}))
        env[k] = Buffer.from(v, "base64").toString();
      Object.assign(env, secret.stringData);
    }
  }
  for (const { name, value } of container.env ?? []) env[name] = value ?? "";
  return env;
}

/** The ${VAR}s a tenants file takes from the environment. */
function variablesOf(yaml: string): Set<string> {
  return new Set(
    [...yaml.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string),
  );
}

/** The volume mounted exactly at a folder, and its definition. */
function volumeAt(container: Container, volumes: Volume[], folder: string) {
  const mount = container.volumeMounts?.find((m) => m.mountPath === folder);
  assert.ok(mount, `nothing is mounted at ${folder}`);
  const volume = volumes.find((v) => v.name === mount.name);
  assert.ok(volume, `volume ${mount.name} is mounted but not defined`);
  return { mount, volume };
}

const variants = readdirSync(KUBERNETES, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(KUBERNETES, e.name, "kustomization.yaml")))
  .map((e) => e.name);

it("deploy/kubernetes has the single (SQLite) and replicas (PostgreSQL) variants", () => {
  assert.deepEqual(variants.sort(), ["replicas", "single"]);
});

for (const variant of variants) {
  const dir = join(KUBERNETES, variant);
  describe(`deploy/kubernetes/${variant}`, () => {
    const { files, objects } = loadVariant(dir);
    const deployment = only(objects, "Deployment");
    const pod = deployment.spec.template.spec;
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const volumes = (pod.volumes ?? []) as Volume[];
    const containers = pod.containers as Container[];
    const container = containers[0] as Container;
    const env = environment(objects, container);
    // Looked up within each test, so that a wrong mount fails those tests rather than the suite.
    const tenantsYaml = () => (env.CONFIG_FILE ? tenantsFileOf(env.CONFIG_FILE) : undefined);

    /** The tenants file as the pod sees it: the ConfigMap key mounted at CONFIG_FILE. */
    function tenantsFileOf(path: string): string {
      const { mount, volume } = volumeAt(container, volumes, posix.dirname(path));
      assert.equal(mount.subPath, undefined, "a subPath mount never sees the ConfigMap change");
      assert.ok(volume.configMap, `${path} must come from a ConfigMap`);
      const file = posix.basename(path);
      const key = volume.configMap.items?.find((i) => i.path === file)?.key ?? file;
      const text = named(objects, "ConfigMap", volume.configMap.name).data?.[key];
      assert.ok(text, `ConfigMap ${volume.configMap.name} has no key ${key} for CONFIG_FILE`);
      return text;
    }

    it("every YAML file of the folder is listed in kustomization.yaml, and parses", () => {
      const yamlFiles = readdirSync(dir).filter(
        (f) => f.endsWith(".yaml") && f !== "kustomization.yaml",
      );
      assert.deepEqual([...files].sort(), yamlFiles.sort());
      for (const o of objects) {
        assert.ok(o.apiVersion && o.kind && o.metadata?.name);
        // Kubernetes refuses a ConfigMap or Secret value that YAML reads as a number or boolean.
        for (const [k, v] of Object.entries({ ...o.data, ...o.stringData }))
          assert.equal(typeof v, "string", `${o.metadata.name}.${k}: quote it`);
      }
    });

    it("runs the image of this version, one container", () => {
      assert.equal(containers.length, 1);
      assert.equal(container.image, `${IMAGE}:${VERSION}`);
    });

    it("sets only known settings (or variables the tenants file names), from existing objects", () => {
      const allowed = new Set([
        ...KNOWN,
        ...RUNTIME_VARIABLES,
        ...variablesOf(tenantsYaml() ?? ""),
      ]);
      const unknown = Object.keys(env).filter((name) => !allowed.has(name));
      assert.deepEqual(unknown, [], "not settings (README.md, Settings)");
      // And the other way round: no ${VAR} of the tenants file left without a value.
      for (const name of variablesOf(tenantsYaml() ?? ""))
        assert.ok(env[name], `${name} is not set`);
    });

    /** The settings as the pod's service loads them. */
    function load() {
      const cwd = tempDir(); // no stray .env
      let file: string | undefined;
      const yaml = tenantsYaml();
      if (yaml !== undefined) {
        file = join(cwd, "tenants.yaml");
        writeFileSync(file, yaml);
      }
      return loadDeployment(env, { cwd, file });
    }

    it("loads with the service's own loader: every required setting, a sink for every tenant", () => {
      const loaded = load();
      assert.ok(loaded.jobs.length >= 1);
      for (const job of loaded.jobs) {
        assert.ok(job.auth0.origin && job.auth0.clientId && job.auth0.clientSecret, job.id);
        assert.ok(job.sink, job.id);
      }
      // Probes and Prometheus reach the pod on its own address: not a loopback listener.
      assert.ok(!["127.0.0.1", "localhost", "::1"].includes(loaded.process.http.host));
      const ports = (container.ports ?? []).map((p) => p.containerPort);
      assert.deepEqual(
        ports,
        [loaded.process.http.port, loaded.process.intake.port],
        "containerPorts are HTTP_PORT, then INTAKE_PORT",
      );
      // The Ingress reaches the intake on the pod's address too.
      assert.ok(!["127.0.0.1", "localhost", "::1"].includes(loaded.process.intake.host));
    });

    it("publishes the intake's /log-stream paths, and only those, over TLS to its port", async () => {
      const ingress = only(objects, "Ingress");
      const service = only(objects, "Service");
      const { http, intake } = load().process;
      const intakePort = container.ports?.find((p) => p.containerPort === intake.port);
      const servicePort = (
        service.spec.ports as { name: string; port: number; targetPort: string | number }[]
      ).find((p) => [intakePort?.name, intakePort?.containerPort].includes(p.targetPort));
      assert.ok(servicePort, "the Service has a port for the intake");
      const rules = ingress.spec.rules as {
        host: string;
        http: {
          paths: {
            path: string;
            pathType: string;
            backend: { service: { name: string; port: { name?: string; number?: number } } };
          }[];
        };
      }[];
      const tlsHosts = new Set(
        (ingress.spec.tls as { hosts: string[] }[]).flatMap((t) => t.hosts ?? []),
      );
      assert.ok(rules.length > 0);
      for (const rule of rules) {
        assert.ok(tlsHosts.has(rule.host), `${rule.host}: Auth0 sends to https:// only`);
        for (const path of rule.http.paths) {
          // Prefix matches whole path elements: /log-stream and /log-stream/<tenant id> only.
          assert.deepEqual([path.path, path.pathType], ["/log-stream", "Prefix"]);
          const { name, port } = path.backend.service;
          assert.equal(name, service.metadata.name);
          assert.ok(
            port.name === servicePort.name || port.number === servicePort.port,
            "to the Service's intake port, never the dashboard's",
          );
        }
        // The Ingress passes its host on as Host: the intake's guard must answer it, not 421.
        const app = new Hono();
        app.use("*", hostGuard({ listen: intake.host, names: http.allowedHosts ?? [] }));
        app.post("/log-stream", (c) => c.body(null, 204));
        const answer = await app.request(`https://${rule.host}/log-stream`, { method: "POST" });
        assert.equal(answer.status, 204, `${rule.host} must be in ALLOWED_HOSTS`);
      }
    });

    it("probes the service's health routes on its port", async () => {
      const port = container.ports?.[0];
      // Kubernetes' httpGet probes (no host, no Host header set) name the pod's IP and port as
      // Host: a host the listener must answer to (HTTP_HOST, ALLOWED_HOSTS: DNS rebinding).
      const { http } = load().process;
      const hosts = { listen: http.host, names: http.allowedHosts ?? [] };
      const podAddress = `10.42.0.17:${port?.containerPort}`;
      const probes = {
        startupProbe: "/healthz",
        livenessProbe: "/healthz",
        readinessProbe: "/readyz",
      } as const;
      for (const [kind, path] of Object.entries(probes)) {
        const probe = container[kind as keyof typeof probes];
        assert.equal(probe?.httpGet?.path, path, kind);
        assert.ok([port?.name, port?.containerPort].includes(probe.httpGet.port), `${kind} port`);
        assert.equal(probe.httpGet.host, undefined, `${kind} asks the pod's own address`);
        assert.ok(!probe.httpGet.httpHeaders?.some((h) => /^host$/i.test(h.name)), kind);
        assert.equal(
          await routeStatus(path, hosts, podAddress),
          200,
          `${path} is a route of the service, answered for the pod's address`,
        );
      }
      // The listener opens after the store: with PostgreSQL, run waits for it that long.
      const startup = container.startupProbe as Required<Probe>;
      if (env.DATABASE_URL?.startsWith("postgres")) {
        assert.ok(startup.periodSeconds * startup.failureThreshold > STORE_WAIT_S);
      }
    });

    it("keeps its state where DATABASE_URL says: SQLite on a volume, or PostgreSQL", () => {
      const url = env.DATABASE_URL;
      assert.ok(url, "DATABASE_URL is set explicitly");
      if (variant === "single") {
        assert.match(url, /^sqlite:\//);
        assert.equal(deployment.spec.replicas, 1, "SQLite admits one process");
        assert.equal(deployment.spec.strategy?.type, "Recreate");
        const { volume } = volumeAt(container, volumes, posix.dirname(url.slice("sqlite:".length)));
        assert.ok(volume.persistentVolumeClaim, "the store must outlive the pod");
        named(objects, "PersistentVolumeClaim", volume.persistentVolumeClaim.claimName);
      } else {
        assert.match(url, /^postgres(ql)?:\/\//);
        assert.ok(deployment.spec.replicas > 1);
      }
    });

    it("runs non-root, read-only, without privileges; /tmp is an emptyDir", () => {
      const sc = container.securityContext;
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.deepEqual(sc.capabilities?.drop, ["ALL"]);
      assert.equal(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true);
      assert.notEqual(sc.runAsUser ?? pod.securityContext?.runAsUser, 0);
      const seccomp = sc.seccompProfile ?? pod.securityContext?.seccompProfile;
      assert.equal(seccomp?.type, "RuntimeDefault");
      assert.equal(pod.automountServiceAccountToken, false);
      assert.ok(volumeAt(container, volumes, "/tmp").volume.emptyDir);
    });

    it("gives the graceful stop its time and sizes memory from the measurements", () => {
      assert.ok(pod.terminationGracePeriodSeconds > GRACE_S, "more than the drain's grace");
      const { requests, limits } = container.resources ?? {};
      assert.ok(requests?.cpu && requests.memory && limits?.memory);
      const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1]);
      // The measured peak while draining is about 170 MB.
      assert.ok(mib(requests.memory) >= 160 && mib(limits.memory) >= mib(requests.memory));
    });

    it("Service, PodDisruptionBudget and ServiceMonitor select the pods and name the port", () => {
      assert.ok(selects(deployment.spec.selector.matchLabels, podLabels));
      const service = only(objects, "Service");
      assert.ok(selects(service.spec.selector, podLabels), "Service selects the pods");
      const servicePort = service.spec.ports[0];
      const port = container.ports?.[0];
      assert.ok([port?.name, port?.containerPort].includes(servicePort.targetPort));
      const pdb = only(objects, "PodDisruptionBudget");
      assert.ok(selects(pdb.spec.selector.matchLabels, podLabels), "PDB selects the pods");
      const monitor = only(objects, "ServiceMonitor");
      assert.ok(selects(monitor.spec.selector.matchLabels, service.metadata.labels));
      const endpoint = monitor.spec.endpoints[0];
      assert.equal(endpoint.port, servicePort.name, "ServiceMonitor port is the Service's");
      assert.equal(endpoint.path, "/metrics");
    });

    it("builds with kubectl kustomize (offline), to the same objects", (t) => {
      const built = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 30_000 });
      if (built.error) {
        t.skip(`kubectl not available (${built.error.message}): kustomize build not checked`);
        return;
      }
      assert.equal(built.status, 0, built.stderr);
      const ids = (list: K8sObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      const output = parseAllDocuments(built.stdout).map((d) => d.toJS() as K8sObject);
      assert.deepEqual(ids(output), ids(objects));
    });
  });
}

// systemd ------------------------------------------------------------------------------------

/** A unit file's sections, each key with its values in order (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current && eq > 0, `not a key=value in a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

describe("deploy/systemd", () => {
  const unitPath = join(SYSTEMD, "auth0-logs-to-logstash.service");
  const unitText = readFileSync(unitPath, "utf8");
  const unit = parseUnit(unitText);
  const service = unit.get("Service") ?? new Map<string, string[]>();
  const last = (key: string) => service.get(key)?.at(-1);
  const execStart = last("ExecStart") ?? "";
  const binary = execStart.split(/\s+/)[0] as string;

  /** Environment= assignments, quotes removed, as systemd reads them. */
  const unitEnvironment = Object.fromEntries(
    (service.get("Environment") ?? []).map((value) => {
      const unquoted = value.replace(/^"(.*)"$/, "$1");
      const eq = unquoted.indexOf("=");
      return [unquoted.slice(0, eq), unquoted.slice(eq + 1)];
    }),
  );

  it("runs `run` as its own user, `check` before it, reload by SIGHUP", () => {
    assert.match(execStart, /^\/\S+\/auth0-logs-to-logstash run$/);
    // "-": check reports; a failing Auth0 or sink must not keep every tenant from starting.
    assert.deepEqual(service.get("ExecStartPre"), [`-${binary} check`]);
    assert.equal(last("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert.ok(last("User") || last("DynamicUser") === "yes");
    const sysusers = readFileSync(join(SYSTEMD, "auth0-logs-to-logstash.sysusers"), "utf8");
    assert.match(sysusers, new RegExp(`^u ${last("User")} `, "m"), "sysusers creates User=");
    assert.equal(last("Restart"), "on-failure");
    assert.ok(last("RestartSec"));
    assert.ok(unit.get("Unit")?.get("StartLimitBurst"));
    assert.equal(last("RestartPreventExitStatus"), "2", "bad settings (exit 2) are not retried");
    // The graceful stop's grace, then the commit and hand-over.
    assert.ok(Number.parseInt(last("TimeoutStopSec") ?? "0", 10) > GRACE_S);
  });

  it("has the usual hardening, but not MemoryDenyWriteExecute (V8's JIT needs W+X memory)", () => {
    const expected: Record<string, string> = {
      ProtectSystem: "strict",
      ProtectHome: "yes",
      NoNewPrivileges: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectControlGroups: "yes",
      RestrictNamespaces: "yes",
      RestrictSUIDSGID: "yes",
      LockPersonality: "yes",
      CapabilityBoundingSet: "",
      SystemCallArchitectures: "native",
      RestrictAddressFamilies: "AF_UNIX AF_INET AF_INET6",
      StateDirectory: "auth0-logs-to-logstash",
      MemoryDenyWriteExecute: "no",
      UMask: "0077",
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(last(key), value, key);
    assert.equal(service.get("SystemCallFilter")?.[0], "@system-service");
  });

  it("keeps secrets in a root-only environment file, settings known, V8 limits as the launcher's", () => {
    assert.equal(last("EnvironmentFile"), "/etc/auth0-logs-to-logstash/env");
    const allowed = new Set([
      ...KNOWN,
      ...RUNTIME_VARIABLES,
      "NODE_COMPILE_CACHE",
      "MALLOC_MMAP_THRESHOLD_",
    ]);
    for (const name of Object.keys(unitEnvironment)) assert.ok(allowed.has(name), name);
    // The SQLite store in the state directory (%S is /var/lib for system units).
    assert.equal(unitEnvironment.DATABASE_URL, `sqlite:%S/${last("StateDirectory")}/state.sqlite`);
    const launcher = readFileSync(join(ROOT, "bin/auth0-logs-to-logstash"), "utf8");
    const v8Flags = (text: string) => (text.match(/--max-[a-z-]+-size=\d+/g) ?? []).sort();
    assert.deepEqual(v8Flags(unitEnvironment.NODE_OPTIONS ?? ""), v8Flags(launcher));
    const threshold = /MALLOC_MMAP_THRESHOLD_:-(\d+)/.exec(launcher)?.[1];
    assert.equal(
      unitEnvironment.MALLOC_MMAP_THRESHOLD_,
      threshold,
      "glibc as the launcher sets it",
    );
  });

  it("env.example names only settings, and loads with every required one", () => {
    const text = readFileSync(join(SYSTEMD, "env.example"), "utf8");
    // Commented-out lines too: a typo there would be copied by whoever un-comments it.
    const names = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);
    assert.deepEqual(
      names.filter((n) => !KNOWN.has(n)),
      [],
    );
    const env = { ...unitEnvironment, ...(parseEnv(text) as Record<string, string>) };
    env.DATABASE_URL = `sqlite:${join(tempDir(), "state.sqlite")}`;
    const loaded = loadDeployment(env, { cwd: tempDir() });
    assert.equal(loaded.jobs.length, 1);
  });

  it("passes systemd-analyze verify", (t) => {
    const version = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
    if (version.error || version.status !== 0) {
      t.skip("systemd-analyze not installed: the unit was not verified by systemd");
      return;
    }
    // verify wants the commands to exist: the same unit, the binary replaced by a stand-in.
    const dir = tempDir();
    const fake = join(dir, "auth0-logs-to-logstash");
    writeFileSync(fake, "#!/bin/sh\n");
    chmodSync(fake, 0o755);
    const copy = join(dir, "auth0-logs-to-logstash.service");
    writeFileSync(copy, unitText.replaceAll(binary, fake));
    const result = spawnSync("systemd-analyze", ["verify", copy], {
      encoding: "utf8",
      timeout: 60_000,
      cwd: dirname(copy),
    });
    // It exits 0 on unknown keys too, warning on stderr: any output is a finding.
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), "", result.stderr);
  });
});

// The release workflow ------------------------------------------------------------------------

describe(".github/workflows/release.yml", () => {
  const workflow = parse(readFileSync(join(ROOT, ".github/workflows/release.yml"), "utf8")) as {
    on: { push: { tags: string[] } };
    env: Record<string, string>;
    jobs: Record<
      string,
      { needs?: string; steps: { uses?: string; run?: string; with?: Record<string, string> }[] }
    >;
  };
  const steps = (job: string) => workflow.jobs[job]?.steps ?? [];

  it("publishes the image the manifests run, built from the Dockerfile with its labels", () => {
    assert.equal(workflow.env.IMAGE, IMAGE);
    const build = steps("image").find((s) => s.uses?.startsWith("docker/build-push-action@"));
    assert.ok(build?.with, "a build-push step");
    assert.ok(existsSync(join(ROOT, build.with.file ?? "Dockerfile")));
    assert.match(
      build.with.tags ?? "",
      /\$\{\{ env\.IMAGE \}\}:\$\{\{ steps\.meta\.outputs\.version \}\}/,
    );
    const dockerfileArgs = new Set(
      [...readFileSync(join(ROOT, "Dockerfile"), "utf8").matchAll(/^ARG (\w+)/gm)].map((m) => m[1]),
    );
    for (const line of (build.with["build-args"] ?? "").trim().split("\n")) {
      assert.ok(dockerfileArgs.has(line.split("=")[0]?.trim()), `the Dockerfile has ARG ${line}`);
    }
  });

  it("releases only a tag equal to the package's version, after the project's CI passes on it", () => {
    assert.deepEqual(workflow.on.push.tags, ["v*"]);
    assert.ok(steps("test").some((s) => s.run?.includes('require("./package.json").version')));
    assert.ok(steps("test").some((s) => s.run === ".ci/run"));
    assert.equal(workflow.jobs.npm?.needs, "test");
    assert.equal(workflow.jobs.image?.needs, "test");
    assert.ok(steps("npm").some((s) => s.run?.startsWith("npm publish")));
  });
});
