// Reads the settings from the environment and ./.env, validates all of them before anything runs,
// and reports every problem at once, each naming the setting and showing a good example.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { ConfigError } from "../errors.ts";
import type { DocumentFormat } from "../interfaces.ts";
import { type ElasticsearchConfig, elasticsearchConfig } from "../sinks/elasticsearch/config.ts";
import { setupName } from "../sinks/elasticsearch/names.ts";
import { logstashConfig } from "../sinks/logstash/config.ts";
import { redactUrl, registerSecrets, urlSecrets } from "../util/secrets.ts";
import {
  findMisspellings,
  type Misspelling,
  misspellingWarning,
  withTypoHint,
} from "./misspelt.ts";
import { ALIASES, processSettings, type SettingDefinition, settings } from "./settings.ts";
import {
  type FileValue,
  readTenantsFile,
  type TenantEntry,
  type TenantsFile,
} from "./tenants-file.ts";
import type { Config, Deployment, JobConfig, ProcessConfig, SinkConfig } from "./types.ts";

export type SettingSource = "environment" | ".env" | "file" | "default" | "unset";

export interface RawSettings {
  values: Record<string, string | undefined>;
  sources: Record<string, SettingSource>;
  problems: string[];
  /** Settings whose value was made with ${VAR}: never quoted, since it may be a secret. */
  concealed?: Set<string>;
  /** Names in .env or the environment that are not settings (misspelt.ts). */
  misspelt?: Misspelling[];
}

function readDotEnv(cwd: string): { values: Record<string, string>; problem?: string } {
  const path = join(cwd, ".env");
  if (!existsSync(path)) return { values: {} };
  try {
    return { values: parseEnv(readFileSync(path, "utf8")) as Record<string, string> };
  } catch (error) {
    return { values: {}, problem: `.env: could not be read (${(error as Error).message})` };
  }
}

/** Gathers each setting's raw text and where it came from; the environment wins over .env. */
export function gatherSettings(env: Record<string, string | undefined>, cwd: string): RawSettings {
  const dotEnv = readDotEnv(cwd);
  const problems = dotEnv.problem ? [dotEnv.problem] : [];
  const values: Record<string, string | undefined> = {};
  const sources: Record<string, SettingSource> = {};
  const lookup = (name: string): [string | undefined, SettingSource] => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== "") return [fromEnv, "environment"];
    const fromFile = dotEnv.values[name];
    if (fromFile !== undefined && fromFile !== "") return [fromFile, ".env"];
    return [undefined, "unset"];
  };
  for (const setting of settings) {
    let [value, source] = lookup(setting.name);
    for (const [alias, target] of Object.entries(ALIASES)) {
      if (target !== setting.name) continue;
      const [aliased, aliasSource] = lookup(alias);
      if (aliased === undefined) continue;
      if (value !== undefined && value !== aliased) {
        problems.push(`${alias}: conflicts with ${setting.name}; set only one of them`);
      }
      if (value === undefined) [value, source] = [aliased, aliasSource];
    }
    if (value === undefined && setting.default !== undefined)
      [value, source] = [setting.default, "default"];
    values[setting.name] = value;
    sources[setting.name] = source;
  }
  return { values, sources, problems, misspelt: findMisspellings(env, dotEnv.values) };
}

/** What every command that loads these settings says once: the names that are not settings. */
function misspeltWarnings(raw: RawSettings): string[] {
  return (raw.misspelt ?? []).map(misspellingWarning);
}

/** The problems, each naming the misspelling of an unset setting it mentions (LOGSTASH_URLL). */
function withTypoHints(problems: string[], raw: RawSettings): string[] {
  const unset = (name: string) => raw.values[name] === undefined;
  return problems.map((problem) => withTypoHint(problem, raw.misspelt ?? [], unset));
}

/**
 * The tenants file, its ${VAR} read from the environment and .env; the variables it reads are
 * no misspellings, whatever their names, and are taken out of `gathered`'s.
 */
function readTenants(
  env: Record<string, string | undefined>,
  cwd: string,
  file: string,
  gathered: RawSettings,
): { tenantsFile: TenantsFile; gathered: RawSettings } {
  const dotEnv = readDotEnv(cwd).values;
  const used = new Set<string>();
  const lookup = (name: string) => {
    used.add(name);
    return (env[name] || undefined) ?? (dotEnv[name] || undefined);
  };
  const tenantsFile = readTenantsFile(file, { cwd, lookup });
  const misspelt = gathered.misspelt?.filter((m) => !used.has(m.key));
  return { tenantsFile, gathered: { ...gathered, misspelt } };
}

function problem(setting: SettingDefinition, message: string): string {
  return `${setting.name}: ${message} (example: ${setting.name}=${setting.example})`;
}

/**
 * A value fit to quote in a message: never a secret, nor anything that could be a URL's
 * credentials. Whatever comes before the last @ may be userinfo, with a scheme or without, and
 * whatever a password holds (/ # ? : or more @); a query with values may hold a password too.
 * Cut to 60 characters only once nothing of that is left in it.
 */
function shownValue(setting: SettingDefinition, value: string): string {
  if (setting.secret) return "";
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? "";
  let rest = value.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  if (at !== -1) rest = `***${rest.slice(at)}`;
  // host:port: a port of digits; anything else after a colon may be a password without its @.
  else if (scheme !== "" && /^[^/?#]*:(?!\d*(?:[/?#]|$))/.test(rest))
    rest = `***${rest.slice(rest.search(/[/?#]|$/))}`;
  if (/[?#].*=/s.test(rest)) rest = `${rest.slice(0, rest.search(/[?#]/))}?***`;
  const shown = `${scheme}${rest}`;
  return `, got "${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}"`;
}

/** An issue's message without the value (or any item of a list) it may quote. */
function conceal(message: string, value: string): string {
  let out = message;
  for (const piece of [value, ...value.split(/[,\s]+/)]) {
    if (piece.trim() === "") continue;
    out = out.split(`"${piece}"`).join('"***"');
    if (piece.length >= 4) out = out.split(piece).join("***");
  }
  return out;
}

/** Parses the given rows' raw values; every problem is collected, none thrown. */
function parseRows(raw: RawSettings, rows: SettingDefinition[], problems: string[]) {
  const parsed: Record<string, unknown> = {};
  for (const setting of rows) {
    const value = raw.values[setting.name];
    if (value === undefined) {
      if (setting.required) problems.push(problem(setting, "required but not set"));
      continue;
    }
    const result = setting.schema.safeParse(value);
    if (result.success) {
      parsed[setting.name] = result.data;
    } else if (raw.concealed?.has(setting.name)) {
      // Made with ${VAR}: it may be a secret whatever the setting, so it is not quoted at all.
      for (const issue of result.error.issues)
        problems.push(problem(setting, conceal(issue.message, value)));
    } else {
      // Never echo a secret's value; for the others, quoting the value helps to spot the typo.
      const shown = shownValue(setting, value);
      for (const issue of result.error.issues)
        problems.push(problem(setting, `${issue.message}${shown}`));
    }
  }
  // Registered before any message is made: a URL's password may end up quoted in one.
  registerSecrets(...rows.filter((s) => s.secret).map((s) => raw.values[s.name]));
  return parsed;
}

/**
 * Validates only the named settings: for commands that need the store, not Auth0 or a sink. The
 * warnings are the names that are not settings, as every command says them.
 */
export function loadSome(
  env: Record<string, string | undefined>,
  names: string[],
  options: { cwd?: string } = {},
): { values: Record<string, unknown>; warnings: string[] } {
  const raw = gatherSettings(env, options.cwd ?? process.cwd());
  const problems: string[] = [];
  const parsed = parseRows(
    raw,
    settings.filter((s) => names.includes(s.name)).map((s) => ({ ...s, required: false })),
    problems,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return { values: parsed, warnings: misspeltWarnings(raw) };
}

/** The secrets a sink derives from its settings, in the forms it sends them. */
function registerSinkSecrets(sink: SinkConfig | ElasticsearchConfig | undefined): void {
  // A credential in a URL's query (?token=…) is a secret on its own too, however it is echoed.
  if (sink?.kind === "logstash") {
    registerSecrets(sink.url, ...urlSecrets(sink.url), sink.password);
    registerSecrets(sink.password && `${sink.user}:${sink.password}`);
    return;
  }
  registerSecrets(...(sink?.urls.flatMap(urlSecrets) ?? []));
  if (sink?.auth.kind === "basic") {
    registerSecrets(sink.auth.password, `${sink.auth.user}:${sink.auth.password}`);
  } else if (sink?.auth.kind === "api-key") {
    registerSecrets(sink.auth.key);
  }
}

/**
 * Exactly one sink: LOGSTASH_URL, or ELASTICSEARCH_URL / ELASTICSEARCH_CLOUD_ID. The cluster's
 * settings are read with Logstash too, for `setup` (which prepares the cluster behind Logstash).
 */
function chooseSink(
  raw: RawSettings,
  parsed: Record<string, unknown>,
  problems: string[],
  warnings: string[],
) {
  // Given, valid or not: an invalid value is reported already, and still says which sink is meant.
  const logstashSet = raw.values.LOGSTASH_URL !== undefined;
  const clusterSet =
    raw.values.ELASTICSEARCH_URL !== undefined || raw.values.ELASTICSEARCH_CLOUD_ID !== undefined;
  if (logstashSet && clusterSet) {
    problems.push(
      "LOGSTASH_URL: set together with ELASTICSEARCH_URL (or ELASTICSEARCH_CLOUD_ID); choose one sink: Logstash's http input, or Elasticsearch/OpenSearch directly (`setup` alone reads the cluster's settings beside LOGSTASH_URL: set ELASTICSEARCH_URL only for that command)",
    );
    return { sink: undefined, elasticsearch: undefined };
  }
  if (!logstashSet && !clusterSet) {
    problems.push(
      "LOGSTASH_URL: required but not set, unless ELASTICSEARCH_URL or ELASTICSEARCH_CLOUD_ID selects the Elasticsearch sink (example: LOGSTASH_URL=https://logstash.example.com:8080)",
    );
    return { sink: undefined, elasticsearch: undefined };
  }
  if (logstashSet) {
    if (parsed.LOGSTASH_URL === undefined) {
      if (parsed.LOGSTASH_INDEX === undefined) {
        problems.push(
          "LOGSTASH_INDEX: required with LOGSTASH_URL (example: LOGSTASH_INDEX=auth0-logs)",
        );
      }
      return { sink: undefined, elasticsearch: undefined };
    }
    return { sink: logstashConfig(parsed, problems, warnings), elasticsearch: undefined };
  }
  if (parsed.ELASTICSEARCH_URL === undefined && parsed.ELASTICSEARCH_CLOUD_ID === undefined) {
    return { sink: undefined, elasticsearch: undefined };
  }
  const elasticsearch = elasticsearchConfig(parsed, problems, warnings);
  return { sink: elasticsearch, elasticsearch };
}

function documentFormat(parsed: Record<string, unknown>, sink: "logstash" | "elasticsearch") {
  return (
    (parsed.DOCUMENT_FORMAT as DocumentFormat | undefined) ??
    (sink === "logstash" ? "extension" : "ecs")
  );
}

/** What `setup` needs: the cluster, and the document format the exporter (or Logstash) writes. */
export interface SetupSettings {
  elasticsearch: ElasticsearchConfig;
  documentFormat: DocumentFormat;
  requestTimeoutMs: number;
  retryMaxTimeMs: number;
  exporterLogLevel: string;
  warnings: string[];
}

/** One cluster and target to prepare, and the tenants that write there. */
export interface SetupTarget extends SetupSettings {
  tenants: string[];
}

const SETUP_ROWS = settings.filter(
  (s) =>
    s.name.startsWith("ELASTICSEARCH_") ||
    [
      "DOCUMENT_FORMAT",
      "LOGSTASH_URL",
      "REQUEST_TIMEOUT",
      "RETRY_MAX_TIME",
      "EXPORTER_LOG_LEVEL",
      "ALLOW_INSECURE_HTTP",
    ].includes(s.name),
);

function setupFrom(raw: RawSettings): { settings?: SetupSettings; problems: string[] } {
  const problems = [...raw.problems];
  const parsed = parseRows(raw, SETUP_ROWS, problems);
  const warnings: string[] = [];
  if (parsed.ELASTICSEARCH_URL === undefined && parsed.ELASTICSEARCH_CLOUD_ID === undefined) {
    if (raw.values.ELASTICSEARCH_URL === undefined) {
      problems.push(
        "ELASTICSEARCH_URL: required by setup: the cluster to prepare (example: ELASTICSEARCH_URL=https://es.example.com:9200)",
      );
    }
  }
  const elasticsearch =
    problems.length > 0 ? undefined : elasticsearchConfig(parsed, problems, warnings);
  registerSinkSecrets(elasticsearch);
  if (problems.length > 0 || elasticsearch === undefined) {
    return { problems: withTypoHints(problems, raw) };
  }
  return {
    problems,
    settings: {
      elasticsearch,
      documentFormat: documentFormat(
        parsed,
        parsed.LOGSTASH_URL !== undefined ? "logstash" : "elasticsearch",
      ),
      requestTimeoutMs: parsed.REQUEST_TIMEOUT as number,
      retryMaxTimeMs: parsed.RETRY_MAX_TIME as number,
      exporterLogLevel: parsed.EXPORTER_LOG_LEVEL as string,
      warnings,
    },
  };
}

/**
 * What `setup` prepares. From the environment: its one cluster. From a tenants file: the cluster
 * of `tenant`, or without it of every tenant that names one, each cluster and target once with
 * the tenants that write there. Every problem at once, named as the file names it.
 */
export function loadSetupTargets(
  env: Record<string, string | undefined>,
  options: { cwd?: string; tenant?: string } = {},
): SetupTarget[] {
  const cwd = options.cwd ?? process.cwd();
  let gathered = gatherSettings(env, cwd);
  const file = gathered.values.CONFIG_FILE?.trim();
  const { tenant } = options;
  if (file === undefined || file === "") {
    if (tenant !== undefined && tenant !== "default") {
      throw new ConfigError([
        `--tenant: no tenant "${tenant.slice(0, 64)}"; without a tenants file (CONFIG_FILE) the one tenant is default`,
      ]);
    }
    const { settings: one, problems } = setupFrom(gathered);
    if (!one) throw new ConfigError(problems);
    return [
      { ...one, warnings: [...misspeltWarnings(gathered), ...one.warnings], tenants: ["default"] },
    ];
  }
  const read = readTenants(env, cwd, file, gathered);
  const { tenantsFile } = read;
  gathered = read.gathered;
  const problems = [...gathered.problems, ...tenantsFile.problems];
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const ids = tenantsFile.tenants.map((t) => t.id);
  const entries = tenantsFile.tenants.filter((t) => tenant === undefined || t.id === tenant);
  if (entries.length === 0) {
    throw new ConfigError([
      tenant === undefined
        ? `CONFIG_FILE (${file}): no tenant`
        : `--tenant: no tenant "${tenant.slice(0, 64)}"; tenants: ${ids.join(", ")}`,
    ]);
  }
  const targets = new Map<string, SetupTarget>();
  for (const entry of entries) {
    const { raw, relabel } = layered(gathered, tenantsFile.top, entry);
    const named =
      raw.values.ELASTICSEARCH_URL !== undefined || raw.values.ELASTICSEARCH_CLOUD_ID !== undefined;
    // Without --tenant, tenants that name no cluster (Logstash alone) have nothing to set up.
    if (tenant === undefined && !named) continue;
    const result = setupFrom(raw);
    problems.push(...result.problems.map(relabel).filter((p) => p !== undefined));
    if (!result.settings) continue;
    const { elasticsearch: es, documentFormat: format } = result.settings;
    const key = JSON.stringify([es.urls, es.index, format]);
    const same = targets.get(key);
    if (same) same.tenants.push(entry.id);
    else targets.set(key, { ...result.settings, tenants: [entry.id] });
  }
  problems.push(
    ...setupConflicts(
      [...targets.values()].flatMap((target) =>
        target.tenants.map((tenant) => ({
          tenant,
          es: target.elasticsearch,
          format: target.documentFormat,
        })),
      ),
    ),
  );
  if (problems.length === 0 && targets.size === 0) {
    problems.push(
      `ELASTICSEARCH_URL: required by setup, and no tenant of ${file} names a cluster (example: ELASTICSEARCH_URL=https://es.example.com:9200)`,
    );
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const all = [...targets.values()];
  // Said once, with the first target's own warnings: they are the deployment's, not a target's.
  const first = all[0] as SetupTarget;
  first.warnings = [...misspeltWarnings(gathered), ...first.warnings];
  return all;
}

export function loadConfig(
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): Config {
  const { config, problems } = buildConfig(gatherSettings(env, options.cwd ?? process.cwd()));
  if (config === undefined) throw new ConfigError(problems);
  return config;
}

/**
 * One tenant's settings from their raw values, or every problem with them (none thrown): what
 * loadConfig does with the environment, and loadDeployment with each tenant of the tenants file.
 */
function buildConfig(raw: RawSettings): { config: Config | undefined; problems: string[] } {
  const problems = [...raw.problems];
  const parsed = parseRows(raw, settings, problems);
  const warnings: string[] = [];
  const { sink, elasticsearch } = chooseSink(raw, parsed, problems, warnings);
  registerSinkSecrets(sink);
  if (sink?.kind === "elasticsearch" && parsed.KEEP_ID === true) {
    problems.push(
      "KEEP_ID: Elasticsearch and OpenSearch refuse a document field named _id; the Elasticsearch sink uses log_id as each document's id instead (remove KEEP_ID)",
    );
  }
  if (problems.length > 0 || sink === undefined) {
    return { config: undefined, problems: withTypoHints(problems, raw) };
  }
  const config: Config = {
    auth0: {
      origin: parsed.AUTH0_DOMAIN as string,
      clientId: parsed.AUTH0_CLIENT_ID as string,
      clientSecret: parsed.AUTH0_CLIENT_SECRET as string,
    },
    sink,
    elasticsearch,
    batchSize: parsed.BATCH_SIZE as number,
    startFrom: parsed.START_FROM as string | undefined,
    logLevel: parsed.LOG_LEVEL as number | undefined,
    logTypes: (parsed.LOG_TYPES as string[] | undefined)?.length
      ? (parsed.LOG_TYPES as string[])
      : undefined,
    documentFormat: documentFormat(parsed, sink.kind),
    keepId: parsed.KEEP_ID as boolean,
    initialLookbackMs: parsed.INITIAL_LOOKBACK as number,
    retryMaxTimeMs: parsed.RETRY_MAX_TIME as number,
    requestTimeoutMs: parsed.REQUEST_TIMEOUT as number,
    databaseUrl: parsed.DATABASE_URL as string,
    databaseTimeoutMs: parsed.DATABASE_TIMEOUT as number,
    exporterLogLevel: parsed.EXPORTER_LOG_LEVEL as string,
    schedule: parsed.SCHEDULE as string,
    tail: { enabled: parsed.TAIL as boolean, intervalMs: parsed.TAIL_INTERVAL as number },
    runsRetentionMs: parsed.RUNS_RETENTION as number,
    auth0LogRetentionMs: parsed.AUTH0_LOG_RETENTION as number,
    staleAfterMs: parsed.STALE_AFTER as number,
    readyMaxFailures: parsed.READY_MAX_FAILURES as number,
    slack: {
      webhookUrl: parsed.SLACK_INCOMING_WEBHOOK as string | undefined,
      sendSuccess: parsed.SLACK_SEND_SUCCESS as boolean,
      reminderMs: parsed.ALERT_REMINDER as number,
      dailyReportHour: parsed.SLACK_DAILY_REPORT_HOUR as number | undefined,
    },
    http: {
      host: parsed.HTTP_HOST as string,
      port: parsed.HTTP_PORT as number,
      allowedHosts: parsed.ALLOWED_HOSTS as string[] | undefined,
      trustedProxies: parsed.TRUSTED_PROXIES as string[] | undefined,
    },
    warnings,
    dashboard: {
      user: parsed.DASHBOARD_USER as string,
      password: parsed.DASHBOARD_PASSWORD as string | undefined,
      sessionTtlMs: parsed.DASHBOARD_SESSION_TTL as number,
    },
  };
  return { config, problems };
}

function processConfig(config: Config, configFile: string | undefined): ProcessConfig {
  // postgres://user:password@…: the password is a secret wherever it might be quoted.
  registerSecrets(...urlSecrets(config.databaseUrl));
  return {
    databaseUrl: config.databaseUrl,
    databaseTimeoutMs: config.databaseTimeoutMs,
    exporterLogLevel: config.exporterLogLevel,
    http: config.http,
    dashboard: config.dashboard,
    readyMaxFailures: config.readyMaxFailures,
    runsRetentionMs: config.runsRetentionMs,
    configFile,
    warnings: [],
  };
}

/**
 * One tenant's raw values, each from the first level that sets it: the tenant's entry (job
 * settings only), the file's top level, then the environment, .env and the default. `labels` says
 * how problems name each setting: by where it was written, or for a job setting set nowhere, by
 * the tenant's path; `failed` are those whose value could not be read (a problem says why).
 */
function layered(gathered: RawSettings, top: Map<string, FileValue>, tenant?: TenantEntry) {
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
  /** A problem named as the file names its setting; undefined when already reported. */
  const relabel = (problem: string): string | undefined => {
    const name = /^([A-Z][A-Z0-9_]*): /.exec(problem)?.[1];
    if (name === undefined) return problem;
    if (failed.has(name)) return undefined;
    const label = labels.get(name);
    return label === undefined ? problem : `${label}${problem.slice(name.length)}`;
  };
  return { raw, relabel, labels };
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

/**
 * Tenants whose targets on one cluster share what setup installs (setupName: the same data
 * stream dataset, or index) but would install it differently (format, retention, kind): each
 * would overwrite the other's at every setup and every start. Refused, naming what to change.
 */
function setupConflicts(
  targets: { tenant: string; es: ElasticsearchConfig; format: DocumentFormat }[],
): string[] {
  const groups = new Map<string, typeof targets>();
  for (const target of targets) {
    const key = `${target.es.urls.join(",")}\n${setupName(target.es)}`;
    groups.set(key, [...(groups.get(key) ?? []), target]);
  }
  const problems: string[] = [];
  for (const same of groups.values()) {
    const shape = (t: (typeof targets)[number]) =>
      JSON.stringify([t.format, t.es.retentionDays, t.es.dataStream !== null]);
    if (new Set(same.map(shape)).size < 2) continue;
    const first = same[0] as (typeof targets)[number];
    problems.push(
      `tenants ${same.map((t) => t.tenant).join(", ")}: write to one family of names on ${first.es.urls.map(redactUrl).join(", ")} (the template ${setupName(first.es)}) with different DOCUMENT_FORMAT, ELASTICSEARCH_RETENTION or kind of target; one template serves them all: give them the same, or each its own data stream dataset (ELASTICSEARCH_INDEX=logs-auth0.<name>-default)`,
    );
  }
  return problems;
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
    (job) =>
      job.sink.kind === "logstash"
        ? `logstash\n${job.sink.url}\n${job.sink.index}`
        : `elasticsearch\n${job.sink.urls.join(",")}\n${job.sink.index}`,
    (job) =>
      `write to the same place (${sinkTarget(job.sink)}): their logs are mixed there; give each its own ${job.sink.kind === "logstash" ? "LOGSTASH_INDEX" : "ELASTICSEARCH_INDEX"}`,
  );
  return warnings;
}

const hostOf = (origin: string) => origin.replace(/^https:\/\//, "");

function sinkTarget(sink: SinkConfig): string {
  return sink.kind === "logstash"
    ? `Logstash ${redactUrl(sink.url)} index ${sink.index}`
    : `Elasticsearch ${sink.urls.map(redactUrl).join(", ")} index ${sink.index}`;
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
    const shared = processConfig(config, undefined);
    shared.warnings.push(...misspeltWarnings(gathered));
    return { process: shared, jobs: [{ id: "default", ...config }], file: undefined };
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
  for (const tenant of tenantsFile.tenants) {
    const { raw, relabel } = layered(gathered, tenantsFile.top, tenant);
    const built = buildConfig(raw);
    problems.push(...built.problems.map(relabel).filter((p) => p !== undefined));
    if (built.config) jobs.push({ id: tenant.id, ...built.config });
  }
  problems.push(
    ...setupConflicts(
      jobs.flatMap((job) =>
        job.sink.kind === "elasticsearch"
          ? [{ tenant: job.id, es: job.sink, format: job.documentFormat }]
          : [],
      ),
    ),
  );
  const unique = [...new Set(problems)];
  const first = jobs[0];
  if (unique.length > 0 || first === undefined || jobs.length < tenantsFile.tenants.length) {
    throw new ConfigError(unique.length > 0 ? unique : [`CONFIG_FILE (${file}): no tenant`]);
  }
  const shared = processConfig(first, file);
  shared.warnings.push(...misspeltWarnings(gathered), ...overlaps(jobs));
  return { process: shared, jobs, file: resolve(cwd, file) };
}

/** The deployment for people: one line per tenant, its Auth0 domain and where its logs go. */
export function describeDeployment(deployment: Deployment): string {
  const width = Math.max(...deployment.jobs.map((job) => job.id.length));
  return deployment.jobs
    .map((job) => `${job.id.padEnd(width)}  ${hostOf(job.auth0.origin)} → ${sinkTarget(job.sink)}`)
    .join("\n");
}
