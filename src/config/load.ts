// Reads the settings from the environment and ./.env, validates all of them before anything runs,
// and reports every problem at once, each naming the setting and showing a good example.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { ConfigError } from "../errors.ts";
import { type ElasticsearchConfig, elasticsearchConfig } from "../sinks/elasticsearch/config.ts";
import { logstashConfig } from "../sinks/logstash/config.ts";
import { registerSecrets } from "../util/secrets.ts";
import { ALIASES, type SettingDefinition, settings } from "./settings.ts";
import type { Config, DocumentFormat, SinkConfig } from "./types.ts";

export type SettingSource = "environment" | ".env" | "default" | "unset";

export interface RawSettings {
  values: Record<string, string | undefined>;
  sources: Record<string, SettingSource>;
  problems: string[];
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
  return { values, sources, problems };
}

function problem(setting: SettingDefinition, message: string): string {
  return `${setting.name}: ${message} (example: ${setting.name}=${setting.example})`;
}

/** A value fit to quote in a message: never a secret, and never the credentials in a URL. */
function shownValue(setting: SettingDefinition, value: string): string {
  if (setting.secret) return "";
  const short = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return `, got "${short.replace(/\/\/[^/@]*@/, "//***@")}"`;
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

/** Validates only the named settings: for commands that need the store, not Auth0 or a sink. */
export function loadSome(
  env: Record<string, string | undefined>,
  names: string[],
  options: { cwd?: string } = {},
): Record<string, unknown> {
  const raw = gatherSettings(env, options.cwd ?? process.cwd());
  const problems: string[] = [];
  const parsed = parseRows(
    raw,
    settings.filter((s) => names.includes(s.name)).map((s) => ({ ...s, required: false })),
    problems,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed;
}

/** The secrets a sink derives from its settings, in the forms it sends them. */
function registerSinkSecrets(sink: SinkConfig | ElasticsearchConfig | undefined): void {
  if (sink?.kind === "logstash") {
    registerSecrets(sink.url, sink.password, sink.password && `${sink.user}:${sink.password}`);
  } else if (sink?.auth.kind === "basic") {
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

export function loadSetupSettings(
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): SetupSettings {
  const raw = gatherSettings(env, options.cwd ?? process.cwd());
  const problems = [...raw.problems];
  const rows = settings.filter(
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
  const parsed = parseRows(raw, rows, problems);
  const warnings: string[] = [];
  if (parsed.ELASTICSEARCH_URL === undefined && parsed.ELASTICSEARCH_CLOUD_ID === undefined) {
    problems.push(
      "ELASTICSEARCH_URL: required by setup: the cluster to prepare (example: ELASTICSEARCH_URL=https://es.example.com:9200)",
    );
  }
  const elasticsearch =
    problems.length > 0 ? undefined : elasticsearchConfig(parsed, problems, warnings);
  registerSinkSecrets(elasticsearch);
  if (problems.length > 0 || elasticsearch === undefined) throw new ConfigError(problems);
  return {
    elasticsearch,
    documentFormat: documentFormat(
      parsed,
      parsed.LOGSTASH_URL !== undefined ? "logstash" : "elasticsearch",
    ),
    requestTimeoutMs: parsed.REQUEST_TIMEOUT as number,
    retryMaxTimeMs: parsed.RETRY_MAX_TIME as number,
    exporterLogLevel: parsed.EXPORTER_LOG_LEVEL as string,
    warnings,
  };
}

export function loadConfig(
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): Config {
  const raw = gatherSettings(env, options.cwd ?? process.cwd());
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
  if (problems.length > 0 || sink === undefined) throw new ConfigError(problems);
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
      trustedProxies: parsed.TRUSTED_PROXIES as string[] | undefined,
    },
    warnings,
    dashboard: {
      user: parsed.DASHBOARD_USER as string,
      password: parsed.DASHBOARD_PASSWORD as string | undefined,
      sessionTtlMs: parsed.DASHBOARD_SESSION_TTL as number,
    },
  };
  return config;
}
