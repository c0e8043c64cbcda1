// The Logstash sink's settings (its rows of the settings table) and what the sink needs from them:
// where to POST, how to authenticate, and the fields the original extension added.

import { z } from "zod";
import type { DocumentFormat } from "../../interfaces.ts";
import {
  httpUrl,
  httpUrls,
  plainHttpCheck,
  type SettingDefinition,
  splitCredentials,
  text,
} from "../../settings-kit/schemas.ts";
import { registerSecrets, urlSecrets } from "../../util/secrets.ts";
import type { ElasticsearchAuth } from "../elasticsearch/config.ts";

/** Where `verify` looks for the events Logstash indexed (VERIFY_ELASTICSEARCH_URL and the rest). */
export interface VerifyIndex {
  /** Without credentials; tried in turn. */
  urls: string[];
  auth: ElasticsearchAuth;
  /** Data stream, index or pattern (comma-separated). */
  index: string;
  /** `_id`, or the field holding the log id. */
  idField: string;
}

export interface LogstashConfig {
  kind: "logstash";
  /** The URL to POST to, without credentials, with token= appended when LOGSTASH_TOKEN is set. */
  url: string;
  index: string;
  token: string | undefined;
  user: string | undefined;
  password: string | undefined;
  /** Set with VERIFY_ELASTICSEARCH_URL: `verify` reads the index the pipeline writes to. */
  verify?: VerifyIndex | undefined;
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
  {
    name: "VERIFY_ELASTICSEARCH_URL",
    group: "Logstash",
    scope: "job",
    example: "https://es.example.com:9200",
    description:
      "The cluster your Logstash pipeline writes to, for `verify` (with LOGSTASH_URL): it looks each event up there and `--repair` re-sends through Logstash. Several comma-separated are tried in turn; credentials in it are sent as basic auth, and never shown. The user needs the read privilege on VERIFY_INDEX.",
    list: true,
    schema: httpUrls,
  },
  {
    name: "VERIFY_ELASTICSEARCH_API_KEY",
    group: "Logstash",
    scope: "job",
    secret: true,
    example: "(base64 of id:api_key)",
    description:
      "An API key for VERIFY_ELASTICSEARCH_URL instead of credentials in the URL (base64 of id:api_key, or id:api_key).",
    schema: text,
  },
  {
    name: "VERIFY_INDEX",
    group: "Logstash",
    scope: "job",
    default: "logs-auth0.export-default",
    example: "auth0-logs-*",
    description:
      "Data stream, index or pattern (comma-separated) your Logstash pipeline writes to, searched by `verify`. The default is the data stream of the pipeline in docs/logstash/.",
    schema: text.regex(
      /^[^\\/?"<>|\s#]+$/,
      'must be index names or patterns, comma-separated, without \\ / ? " < > | # or spaces',
    ),
  },
  {
    name: "VERIFY_ID_FIELD",
    group: "Logstash",
    scope: "job",
    default: "_id",
    example: "log_id",
    description:
      "Where the Auth0 log id is in VERIFY_INDEX: _id when the pipeline sets document_id from it (docs/logstash/ does), otherwise the keyword field holding it (log_id, event.id).",
    schema: z
      .string()
      .trim()
      .regex(/^(_id|[A-Za-z@][\w.@-]{0,200})$/, "must be _id or a field name such as log_id"),
  },
];

/** VERIFY_ELASTICSEARCH_URL and the rest, or undefined (unset, or the problems pushed). */
function verifyIndex(
  parsed: Record<string, unknown>,
  problems: string[],
  warnings: string[],
): VerifyIndex | undefined {
  const raw = parsed.VERIFY_ELASTICSEARCH_URL as string[] | undefined;
  if (raw === undefined) return undefined;
  const split = raw.map(splitCredentials);
  registerSecrets(...raw.flatMap(urlSecrets));
  const apiKey = parsed.VERIFY_ELASTICSEARCH_API_KEY as string | undefined;
  const inUrl = split.find((part) => part.user !== undefined);
  if (inUrl && apiKey !== undefined) {
    problems.push(
      "VERIFY_ELASTICSEARCH_API_KEY: VERIFY_ELASTICSEARCH_URL carries credentials too; keep only one of the two",
    );
  }
  const auth: ElasticsearchAuth =
    apiKey !== undefined
      ? {
          kind: "api-key",
          key: apiKey.includes(":") ? Buffer.from(apiKey).toString("base64") : apiKey,
        }
      : inUrl?.user !== undefined && inUrl.password !== undefined
        ? { kind: "basic", user: inUrl.user, password: inUrl.password }
        : { kind: "none" };
  const secret =
    auth.kind === "none" ? null : auth.kind === "basic" ? "the password" : "the API key";
  for (const { url } of split) {
    plainHttpCheck(
      "VERIFY_ELASTICSEARCH_URL",
      url,
      secret,
      parsed.ALLOW_INSECURE_HTTP === true,
      problems,
      warnings,
    );
  }
  return {
    urls: split.map(({ url }) => url.toString().replace(/\/$/, "")),
    auth,
    index: parsed.VERIFY_INDEX as string,
    idField: parsed.VERIFY_ID_FIELD as string,
  };
}

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
  const verify = verifyIndex(parsed, problems, warnings);
  if (index === undefined) return undefined;
  return { kind: "logstash", url: url.toString(), index, token, user, password, verify };
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
  verify?: VerifyIndex | undefined;
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
    verify: config.verify,
  };
}
