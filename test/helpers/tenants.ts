// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is what a tenants file holds
// A deployment of several tenants for the tests: a simulated Auth0 tenant and a Logstash fake per
// tenant, a tenants file naming them written into a folder of the test's own, each client secret
// in the environment and only ${VAR} in the file. The CLI runs there in-process, or `run` as a
// process of its own.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import {
  type LogstashFake,
  type LogstashOptions,
  startLogstash,
} from "../../simulator/logstash.ts";
import { startTenant, type TenantOptions, type TenantSimulator } from "../../simulator/tenant.ts";
import type { RunRecord, Store } from "../../src/interfaces.ts";
import { openStore } from "../../src/store/open.ts";
import { type CliResult, runCli, tempDir } from "./cli.ts";
import { startService } from "./process.ts";

export const FILE = "tenants.yaml";

export interface TenantSpec {
  auth0?: TenantOptions;
  logstash?: LogstashOptions;
  /** The tenant's own settings in the file, after the ones that point it at its simulators. */
  settings?: Record<string, string>;
  /** A cluster's URL: the tenant writes there (ELASTICSEARCH_URL) instead of to its Logstash. */
  elasticsearch?: string;
}

export interface SimulatedTenant {
  id: string;
  auth0: TenantSimulator;
  /** Its Logstash (there, unused, when the tenant writes to a cluster). */
  logstash: LogstashFake;
  /** Its client secret, which the file names only as ${secretVar}. */
  secret: string;
  secretVar: string;
  /** Ids the tenant holds that its Logstash never received. */
  missing(): string[];
  /** Ids its Logstash received more than once. */
  duplicates(): string[];
}

export interface DeploymentWorld {
  dir: string;
  /** The environment: CONFIG_FILE, the secrets the file names, a few test settings. */
  env: Record<string, string>;
  tenants: Record<string, SimulatedTenant>;
  tenant(id: string): SimulatedTenant;
  /** The tenants file naming `ids` (default: every tenant), with the top level's settings. */
  yaml(ids?: string[]): string;
  /** Writes the tenants file: `yaml(ids)` by default. Returns its text. */
  write(text?: string): string;
  /** The text last written. */
  text(): string;
  /** The 1-based line of the tenants file where `fragment` first occurs. */
  lineOf(fragment: string, after?: string): number;
  cli(args: string[], overrides?: Record<string, string>): Promise<CliResult>;
  withStore<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** One tenant's checkpoint and runs, newest first. */
  stored(id: string): Promise<{ checkpoint: string | null; runs: RunRecord[] }>;
}

const varOf = (id: string) => `${id.toUpperCase().replace(/-/g, "_")}_CLIENT_SECRET`;

/** Tenants, each with its simulators, named in a tenants file; everything closed after the test. */
export async function deploymentWorld(
  t: TestContext,
  options: {
    tenants: Record<string, TenantSpec>;
    /** Settings at the file's top level, after the test defaults (which they override). */
    top?: Record<string, string>;
    env?: Record<string, string>;
  },
): Promise<DeploymentWorld> {
  const dir = tempDir("a2l-tenants-");
  const tenants: Record<string, SimulatedTenant> = {};
  t.after(async () => {
    for (const tenant of Object.values(tenants)) {
      await tenant.auth0.close();
      await tenant.logstash.close();
    }
  });
  for (const [id, spec] of Object.entries(options.tenants)) {
    const secret = `secret-of-${id}-${Math.random().toString(36).slice(2, 10)}`;
    const auth0 = await startTenant({
      clientId: `client-${id}`,
      clientSecret: secret,
      name: id,
      ...spec.auth0,
    });
    const logstash = await startLogstash(spec.logstash);
    const idCounts = () => logstash.idCounts();
    tenants[id] = {
      id,
      auth0,
      logstash,
      secret,
      secretVar: varOf(id),
      missing: () => auth0.eventIds().filter((event) => !idCounts().has(event)),
      duplicates: () => [...idCounts()].filter(([, n]) => n > 1).map(([event]) => event),
    };
  }
  const top: Record<string, string> = {
    DATABASE_URL: `sqlite:${join(dir, "state.sqlite")}`,
    INITIAL_LOOKBACK: "30d",
    AUTH0_LOG_RETENTION: "31d",
    RETRY_MAX_TIME: "20s",
    REQUEST_TIMEOUT: "2s",
    ...options.top,
  };
  const entry = (id: string) => {
    const tenant = tenants[id] as SimulatedTenant;
    const spec = options.tenants[id];
    const sink: Record<string, string> = spec?.elasticsearch
      ? { ELASTICSEARCH_URL: spec.elasticsearch }
      : { LOGSTASH_URL: tenant.logstash.url, LOGSTASH_INDEX: `auth0-${id}` };
    const settings: Record<string, string> = {
      AUTH0_DOMAIN: tenant.auth0.url,
      AUTH0_CLIENT_ID: `client-${id}`,
      AUTH0_CLIENT_SECRET: `\${${tenant.secretVar}}`,
      ...sink,
      ...spec?.settings,
    };
    return [`  ${id}:`, ...Object.entries(settings).map(([k, v]) => `    ${k}: ${v}`)];
  };
  const yaml = (ids = Object.keys(tenants)) =>
    [
      ...Object.entries(top).map(([k, v]) => `${k}: ${v}`),
      "tenants:",
      ...ids.flatMap(entry),
      "",
    ].join("\n");
  const env: Record<string, string> = {
    CONFIG_FILE: FILE,
    EXPORTER_LOG_LEVEL: "info",
    ...Object.fromEntries(Object.values(tenants).map((x) => [x.secretVar, x.secret])),
    ...options.env,
  };
  let written = "";
  const write = (text = yaml()) => {
    writeFileSync(join(dir, FILE), text);
    written = text;
    return text;
  };
  write();
  const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(top.DATABASE_URL as string);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };
  return {
    dir,
    env,
    tenants,
    tenant: (id) => {
      const tenant = tenants[id];
      if (!tenant) throw new Error(`no simulated tenant ${id}`);
      return tenant;
    },
    yaml,
    write,
    text: () => written,
    lineOf: (fragment, after) => {
      const lines = written.split("\n");
      const from = after === undefined ? 0 : lines.findIndex((line) => line.includes(after));
      const index = lines.findIndex((line, i) => i >= from && line.includes(fragment));
      if (index < 0) throw new Error(`${fragment} is not in the tenants file`);
      return index + 1;
    },
    cli: (args, overrides = {}) => runCli(args, { ...env, ...overrides }, dir),
    withStore,
    stored: (id) =>
      withStore(async (store) => ({
        checkpoint: (await store.forJob(id).checkpoints.get()).checkpoint,
        runs: await store.forJob(id).runs.list({ limit: 1000 }),
      })),
  };
}

/** A pino line of the service's stderr. */
export interface LogLine {
  level: number;
  msg: string;
  tenant?: string;
  [field: string]: unknown;
}

export function logLines(stderr: string): LogLine[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/**
 * `run` as a process of its own, on the deployment's folder; killed at the end of the test if it
 * is still running (its tenants may be stuck on purpose: no grace period is waited for).
 */
export async function startRun(
  t: TestContext,
  d: DeploymentWorld,
  overrides: Record<string, string> = {},
) {
  const service = await startService({ ...d.env, ...overrides }, d.dir);
  t.after(async () => {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill("SIGKILL");
      await service.done;
    }
  });
  return { ...service, logs: () => logLines(service.stderr()) };
}
