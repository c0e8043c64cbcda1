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

/** A value fit to quote in a message: never a secret, and never the credentials in a URL. */
function shownValue(setting: SettingDefinition, value: string): string {
  if (setting.secret) return "";
  const short = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return `, got "${short.replace(/\/\/[^/@]*@/, "//***@")}"`;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * Credentials in LOGSTASH_URL become basic auth (undici drops them from the URL); the URL sent is
 * left without them. Passwords and tokens over plain http to another host are refused unless
 * ALLOW_INSECURE_HTTP says otherwise, and then warned about at every start.
 */
function logstashTarget(parsed: Record<string, unknown>, problems: string[], warnings: string[]) {
  const url = new URL(parsed.LOGSTASH_URL as string);
  let user = parsed.LOGSTASH_USER as string | undefined;
  let password = parsed.LOGSTASH_PASSWORD as string | undefined;
  if (url.username !== "" || url.password !== "") {
    if (user !== undefined || password !== undefined) {
      problems.push(
        "LOGSTASH_URL: carries credentials while LOGSTASH_USER or LOGSTASH_PASSWORD is set too; keep only one of the two (example: LOGSTASH_URL=https://logstash.example.com:8080)",
      );
    }
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
    url.username = "";
    url.password = "";
  } else if ((user === undefined) !== (password === undefined)) {
    problems.push(
      user === undefined
        ? "LOGSTASH_PASSWORD: set without LOGSTASH_USER; basic auth needs both (example: LOGSTASH_USER=auth0)"
        : "LOGSTASH_USER: set without LOGSTASH_PASSWORD; basic auth needs both (example: LOGSTASH_PASSWORD=…)",
    );
  }
  const token = parsed.LOGSTASH_TOKEN as string | undefined;
  if (url.protocol === "http:" && !LOOPBACK.has(url.hostname) && (password || token)) {
    const what = token ? "LOGSTASH_TOKEN" : "the basic-auth password";
    if (parsed.ALLOW_INSECURE_HTTP) {
      warnings.push(
        `LOGSTASH_URL is plain http:// to ${url.hostname}: ${what} travels unencrypted (ALLOW_INSECURE_HTTP=true); use https://`,
      );
    } else {
      problems.push(
        `LOGSTASH_URL: plain http:// to ${url.hostname} would send ${what} unencrypted; use https://, or set ALLOW_INSECURE_HTTP=true to accept the risk (example: LOGSTASH_URL=https://logstash.example.com:8080)`,
      );
    }
  }
  if (token !== undefined) url.searchParams.append("token", token);
  return { url: url.toString(), user, password, token };
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
      const shown = shownValue(setting, value);
      for (const issue of result.error.issues)
        problems.push(problem(setting, `${issue.message}${shown}`));
    }
  }
  const warnings: string[] = [];
  // Registered before any message is made: a URL's password may end up quoted in one.
  registerSecrets(...settings.filter((s) => s.secret).map((s) => raw.values[s.name]));
  const logstash =
    parsed.LOGSTASH_URL === undefined ? undefined : logstashTarget(parsed, problems, warnings);
  if (logstash?.password)
    registerSecrets(logstash.password, `${logstash.user}:${logstash.password}`);
  if (problems.length > 0) throw new ConfigError(problems);
  if (logstash === undefined) throw new ConfigError(["LOGSTASH_URL: required but not set"]);
  const config: Config = {
    auth0: {
      origin: parsed.AUTH0_DOMAIN as string,
      clientId: parsed.AUTH0_CLIENT_ID as string,
      clientSecret: parsed.AUTH0_CLIENT_SECRET as string,
    },
    logstash: { ...logstash, index: parsed.LOGSTASH_INDEX as string },
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
  registerSecrets(config.logstash.url);
  return config;
}
