// The whole deployment: the process's settings and one job per tenant, each tenant's settings
// layered from the tenants file over the environment and .env; and what tenants share (the same
// Auth0 application, the same place to write), said as warnings.

import { resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import { SINKS, sinkModule } from "../sinks/index.ts";
import { gatherSettings, type RawSettings, readTenants } from "./gather.ts";
import { buildConfig, processConfig } from "./job.ts";
import { misspeltWarnings, parseRows, relabeller } from "./messages.ts";
import { processSettings, settings } from "./settings.ts";
import type { FileValue, TenantEntry } from "./tenants-file.ts";
import type { Deployment, JobConfig, SinkConfig } from "./types.ts";

/**
 * One tenant's raw values, each from the first level that sets it: the tenant's entry (job
 * settings only), the file's top level, then the environment, .env and the default. `labels` says
 * how problems name each setting: by where it was written, or for a job setting set nowhere, by
 * the tenant's path; `failed` are those whose value could not be read (a problem says why).
 */
export function layered(gathered: RawSettings, top: Map<string, FileValue>, tenant?: TenantEntry) {
  const raw: RawSettings = {
    values: {},
    sources: {},
    problems: [],
    concealed: new Set(),
    misspelt: gathered.misspelt,
  };
  const labels = new Map<string, string>();
  const failed = new Set<string>();
  for (const setting of settings) {
    const { name } = setting;
    const own = setting.scope === "job" ? tenant?.values.get(name) : undefined;
    const written = own ?? top.get(name);
    if (written === undefined) {
      raw.values[name] = gathered.values[name];
      raw.sources[name] = gathered.sources[name] ?? "unset";
      if (raw.values[name] === undefined && tenant && setting.scope === "job") {
        labels.set(name, `tenants.${tenant.id}.${name}`);
      }
      continue;
    }
    // Written empty: unset at this level, whatever the levels below say (the default applies).
    raw.values[name] = written.value === "" ? setting.default : written.value;
    raw.sources[name] = "file";
    labels.set(name, written.where);
    if (written.value === undefined) failed.add(name);
    if (written.expanded) raw.concealed?.add(name);
  }
  return { raw, relabel: relabeller(labels, failed), labels };
}

/**
 * One tenant's raw settings as loadDeployment layers them, and where each written one was written
 * (`tenants.yaml:12`): for showing them. Without a tenants file, the environment's and .env's.
 * A tenant missing from the file (removed since the start) gets the file's top level.
 */
export function tenantSettings(
  env: Record<string, string | undefined>,
  cwd: string,
  tenant: string | undefined,
): { raw: RawSettings; where: Map<string, string> } {
  const gathered = gatherSettings(env, cwd);
  const file = gathered.values.CONFIG_FILE?.trim();
  if (file === undefined || file === "") return { raw: gathered, where: new Map() };
  const { tenantsFile } = readTenants(env, cwd, file, gathered);
  const entry = tenantsFile.tenants.find((t) => t.id === tenant);
  const { raw, labels } = layered(gathered, tenantsFile.top, entry);
  // Only what the file sets: a setting set nowhere has a label too, but only to name its problems.
  const where = new Map([...labels].filter(([name]) => raw.sources[name] === "file"));
  return { raw, where };
}

const hostOf = (origin: string) => origin.replace(/^https:\/\//, "");

/** Where a sink writes, for people. */
function place(sink: SinkConfig): string {
  return sinkModule(sink).place(sink);
}

/** Tenants that read the same Auth0 application, or write to the same place: said, not refused. */
function overlaps(jobs: JobConfig[]): string[] {
  const warnings: string[] = [];
  const group = (key: (job: JobConfig) => string, what: (job: JobConfig) => string) => {
    const groups = new Map<string, JobConfig[]>();
    for (const job of jobs) groups.set(key(job), [...(groups.get(key(job)) ?? []), job]);
    for (const same of groups.values()) {
      if (same.length < 2) continue;
      const ids = same.map((job) => job.id).join(", ");
      warnings.push(`tenants ${ids} ${what(same[0] as JobConfig)}`);
    }
  };
  group(
    (job) => `${job.auth0.origin}\n${job.auth0.clientId}`,
    (job) =>
      `read the same Auth0 tenant with the same AUTH0_CLIENT_ID (${hostOf(job.auth0.origin)}): each exports the same logs, sent once per tenant`,
  );
  group(
    (job) => `${job.sink.kind}\n${sinkModule(job.sink).overlapKey(job.sink)}`,
    (job) =>
      `write to the same place (${place(job.sink)}): their logs are mixed there; give each its own ${sinkModule(job.sink).placeSetting}`,
  );
  return warnings;
}

/** Problems between tenants whose sinks' setups would undo each other's (sinks' `setup`). */
function setupConflicts(jobs: JobConfig[]): string[] {
  return SINKS.flatMap(
    (module) =>
      module.setup?.conflicts(
        jobs
          .filter((job) => job.sink.kind === module.kind)
          .map((job) => ({ tenant: job.id, sink: job.sink, format: job.documentFormat })),
      ) ?? [],
  );
}

/**
 * The whole deployment: the process's settings and one job per tenant. Without a tenants file
 * (`file`, else CONFIG_FILE), exactly loadConfig's settings as one job, `default`. With one, each
 * tenant's setting comes from its entry, else the file's top level, else the environment/.env,
 * else the default; process settings from the top level, else the environment, else the default.
 * Every problem of every tenant is reported at once, named by where it was written.
 */
export function loadDeployment(
  env: Record<string, string | undefined>,
  options: { cwd?: string; file?: string } = {},
): Deployment {
  const cwd = options.cwd ?? process.cwd();
  let gathered = gatherSettings(env, cwd);
  const file = options.file ?? gathered.values.CONFIG_FILE?.trim();
  if (file === undefined || file === "") {
    const { config, problems } = buildConfig(gathered);
    if (config === undefined) throw new ConfigError(problems);
    const shared = processConfig(config.process, undefined);
    shared.warnings.push(...misspeltWarnings(gathered));
    return { process: shared, jobs: [{ id: "default", ...config.job }], file: undefined };
  }
  const read = readTenants(env, cwd, file, gathered);
  const { tenantsFile } = read;
  gathered = read.gathered;
  const problems = [...gathered.problems, ...tenantsFile.problems];
  const topLevel = layered(gathered, tenantsFile.top);
  const processProblems: string[] = [];
  parseRows(topLevel.raw, processSettings, processProblems);
  problems.push(...processProblems.map(topLevel.relabel).filter((p) => p !== undefined));
  const jobs: JobConfig[] = [];
  let shared: ReturnType<typeof buildConfig>["config"];
  for (const tenant of tenantsFile.tenants) {
    const { raw, relabel } = layered(gathered, tenantsFile.top, tenant);
    const built = buildConfig(raw);
    problems.push(...built.problems.map(relabel).filter((p) => p !== undefined));
    if (built.config) jobs.push({ id: tenant.id, ...built.config.job });
    shared ??= built.config;
  }
  problems.push(...setupConflicts(jobs));
  const unique = [...new Set(problems)];
  if (unique.length > 0 || shared === undefined || jobs.length < tenantsFile.tenants.length) {
    throw new ConfigError(unique.length > 0 ? unique : [`CONFIG_FILE (${file}): no tenant`]);
  }
  const processConfigOf = processConfig(shared.process, file);
  processConfigOf.warnings.push(...misspeltWarnings(gathered), ...overlaps(jobs));
  return { process: processConfigOf, jobs, file: resolve(cwd, file) };
}

/** The deployment for people: one line per tenant, its Auth0 domain and where its logs go. */
export function describeDeployment(deployment: Deployment): string {
  const width = Math.max(...deployment.jobs.map((job) => job.id.length));
  return deployment.jobs
    .map((job) => `${job.id.padEnd(width)}  ${hostOf(job.auth0.origin)} → ${place(job.sink)}`)
    .join("\n");
}
