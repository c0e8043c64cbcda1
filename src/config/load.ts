// Reads the settings from the environment and ./.env, validates all of them before anything runs,
// and reports every problem at once, each naming the setting and showing a good example.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { ConfigError } from "../errors.ts";
import { registerSecrets } from "../util/secrets.ts";
import { ALIASES, type SettingDefinition, settings } from "./settings.ts";
import type { Config, DocumentFormat } from "./types.ts";

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

/** Validates only the named settings: for commands that need the store, not Auth0 or Logstash. */
export function loadSome(
  env: Record<string, string | undefined>,
  names: string[],
  options: { cwd?: string } = {},
): Record<string, unknown> {
  const raw = gatherSettings(env, options.cwd ?? process.cwd());
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const setting of settings.filter((s) => names.includes(s.name))) {
    const value = raw.values[setting.name];
    if (value === undefined) continue;
    const result = setting.schema.safeParse(value);
    if (result.success) parsed[setting.name] = result.data;
    else for (const issue of result.error.issues) problems.push(problem(setting, issue.message));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed;
}

export function loadConfig(
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): Config {
  const raw = gatherSettings(env, options.cwd ?? process.cwd());
  const problems = [...raw.problems];
  const parsed: Record<string, unknown> = {};
  for (const setting of settings) {
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
      const shown = setting.secret
        ? ""
        : `, got "${value.length > 60 ? `${value.slice(0, 60)}…` : value}"`;
      for (const issue of result.error.issues)
        problems.push(problem(setting, `${issue.message}${shown}`));
    }
  }
  const user = parsed.LOGSTASH_USER as string | undefined;
  const password = parsed.LOGSTASH_PASSWORD as string | undefined;
  if ((user === undefined) !== (password === undefined)) {
    problems.push(
      user === undefined
        ? "LOGSTASH_PASSWORD: set without LOGSTASH_USER; basic auth needs both (example: LOGSTASH_USER=auth0)"
        : "LOGSTASH_USER: set without LOGSTASH_PASSWORD; basic auth needs both (example: LOGSTASH_PASSWORD=…)",
    );
  }
  if (problems.length > 0) {
    registerSecrets(...settings.filter((s) => s.secret).map((s) => raw.values[s.name]));
    throw new ConfigError(problems);
  }

  const logstashUrl = new URL(parsed.LOGSTASH_URL as string);
  const token = parsed.LOGSTASH_TOKEN as string | undefined;
  if (token !== undefined) logstashUrl.searchParams.append("token", token);
  const config: Config = {
    auth0: {
      origin: parsed.AUTH0_DOMAIN as string,
      clientId: parsed.AUTH0_CLIENT_ID as string,
      clientSecret: parsed.AUTH0_CLIENT_SECRET as string,
    },
    logstash: {
      url: logstashUrl.toString(),
      index: parsed.LOGSTASH_INDEX as string,
      token,
      user,
      password,
    },
    batchSize: parsed.BATCH_SIZE as number,
    startFrom: parsed.START_FROM as string | undefined,
    logLevel: parsed.LOG_LEVEL as number | undefined,
    logTypes: (parsed.LOG_TYPES as string[] | undefined)?.length
      ? (parsed.LOG_TYPES as string[])
      : undefined,
    documentFormat: parsed.DOCUMENT_FORMAT as DocumentFormat,
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
    http: { host: parsed.HTTP_HOST as string, port: parsed.HTTP_PORT as number },
    dashboard: {
      user: parsed.DASHBOARD_USER as string,
      password: parsed.DASHBOARD_PASSWORD as string | undefined,
      sessionTtlMs: parsed.DASHBOARD_SESSION_TTL as number,
    },
  };
  registerSecrets(
    config.auth0.clientSecret,
    config.logstash.url,
    parsed.LOGSTASH_URL as string,
    token,
    password,
    config.slack.webhookUrl,
    config.dashboard.password,
  );
  return config;
}
