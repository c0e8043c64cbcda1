// The Logstash sink's settings (its rows of the settings table) and what the sink needs from them:
// where to POST, how to authenticate, and the fields the original extension added.

import type { DocumentFormat } from "../../interfaces.ts";
import {
  httpUrl,
  plainHttpCheck,
  type SettingDefinition,
  splitCredentials,
  text,
} from "../../settings-kit/schemas.ts";

export interface LogstashConfig {
  kind: "logstash";
  /** The URL to POST to, without credentials, with token= appended when LOGSTASH_TOKEN is set. */
  url: string;
  index: string;
  token: string | undefined;
  user: string | undefined;
  password: string | undefined;
}

export const logstashSettings: SettingDefinition[] = [
  {
    name: "LOGSTASH_URL",
    group: "Logstash",
    scope: "job",
    secret: true,
    example: "https://logstash.example.com:8080",
    description:
      "URL of the Logstash http input; required unless ELASTICSEARCH_URL or ELASTICSEARCH_CLOUD_ID selects the Elasticsearch sink. Credentials in it (https://user:password@host) are sent as basic auth, like LOGSTASH_USER and LOGSTASH_PASSWORD.",
    schema: httpUrl(false),
  },
  {
    name: "LOGSTASH_INDEX",
    group: "Logstash",
    scope: "job",
    example: "auth0-logs",
    description:
      "Value of the `index` field added to every document (DOCUMENT_FORMAT=extension); required with LOGSTASH_URL.",
    schema: text,
  },
  {
    name: "LOGSTASH_TOKEN",
    group: "Logstash",
    scope: "job",
    secret: true,
    example: "(a token)",
    description:
      "Appended to the URL's query as token=… (as the original extension did; hosted Logstash services authenticate this way).",
    schema: text,
  },
  {
    name: "LOGSTASH_USER",
    group: "Logstash",
    scope: "job",
    example: "auth0",
    description: "Basic-auth user; needs LOGSTASH_PASSWORD.",
    schema: text,
  },
  {
    name: "LOGSTASH_PASSWORD",
    group: "Logstash",
    scope: "job",
    secret: true,
    example: "(a password)",
    description: "Basic-auth password; needs LOGSTASH_USER.",
    schema: text,
  },
];

/**
 * The Logstash sink's settings, or the problems with them. Credentials in LOGSTASH_URL become basic
 * auth; passwords and tokens over plain http to another host need ALLOW_INSECURE_HTTP.
 */
export function logstashConfig(
  parsed: Record<string, unknown>,
  problems: string[],
  warnings: string[],
): LogstashConfig | undefined {
  const { url, ...inUrl } = splitCredentials(parsed.LOGSTASH_URL as string);
  let user = parsed.LOGSTASH_USER as string | undefined;
  let password = parsed.LOGSTASH_PASSWORD as string | undefined;
  if (inUrl.user !== undefined) {
    if (user !== undefined || password !== undefined) {
      problems.push(
        "LOGSTASH_URL: carries credentials while LOGSTASH_USER or LOGSTASH_PASSWORD is set too; keep only one of the two (example: LOGSTASH_URL=https://logstash.example.com:8080)",
      );
    }
    ({ user, password } = inUrl);
  } else if ((user === undefined) !== (password === undefined)) {
    problems.push(
      user === undefined
        ? "LOGSTASH_PASSWORD: set without LOGSTASH_USER; basic auth needs both (example: LOGSTASH_USER=auth0)"
        : "LOGSTASH_USER: set without LOGSTASH_PASSWORD; basic auth needs both (example: LOGSTASH_PASSWORD=…)",
    );
  }
  const index = parsed.LOGSTASH_INDEX as string | undefined;
  if (index === undefined) {
    problems.push(
      "LOGSTASH_INDEX: required with LOGSTASH_URL (example: LOGSTASH_INDEX=auth0-logs)",
    );
  }
  const token = parsed.LOGSTASH_TOKEN as string | undefined;
  const secret = token ? "LOGSTASH_TOKEN" : password ? "the basic-auth password" : null;
  plainHttpCheck(
    "LOGSTASH_URL",
    url,
    secret,
    parsed.ALLOW_INSECURE_HTTP === true,
    problems,
    warnings,
  );
  if (token !== undefined) url.searchParams.append("token", token);
  if (index === undefined) return undefined;
  return { kind: "logstash", url: url.toString(), index, token, user, password };
}

/** What the Logstash sink needs at run time. */
export interface LogstashSinkConfig {
  /** The full URL, token included: a secret. */
  url: string;
  authorization: string | undefined;
  timeoutMs: number;
  /** The original extension's fields (index, post_date) go with its document format only. */
  format: DocumentFormat;
  index: string;
}

export function logstashSinkConfig(
  config: LogstashConfig,
  job: { requestTimeoutMs: number; documentFormat: DocumentFormat },
): LogstashSinkConfig {
  const { url, user, password } = config;
  return {
    url,
    authorization:
      user !== undefined && password !== undefined
        ? `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
        : undefined,
    timeoutMs: job.requestTimeoutMs,
    format: job.documentFormat,
    index: config.index,
  };
}
