// Every setting in one table: its name, default, meaning and a good example. Validation messages,
// the settings documentation (docs/settings.md, README) and the dashboard are all made from it.

import { z } from "zod";
import { checkpointProblem } from "../auth0/checkpoint.ts";
import { DEFAULT_SHARE } from "../auth0/pacer.ts";
import { logTypes, parseLevel } from "../pipeline/log-types.ts";
import { scheduleProblem } from "../settings-kit/schedule.ts";
import {
  boolean,
  commaList,
  duration,
  httpUrl,
  integer,
  LOOPBACK,
  type SettingDefinition,
  text,
} from "../settings-kit/schemas.ts";
import { SINKS } from "../sinks/index.ts";
import { databaseUrlProblem } from "../store/index.ts";
import { addressList } from "../util/addresses.ts";
import { hostNameProblem } from "../util/hosts.ts";

export type { SettingDefinition };

const domain = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const raw = /^[a-z]+:\/\//i.test(v) ? v : `https://${v}`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a tenant host name or an origin URL" });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
      ctx.addIssue({
        code: "custom",
        message: "must use https:// (plain http:// only for loopback hosts)",
      });
      return z.NEVER;
    }
    if (
      (url.pathname !== "/" && url.pathname !== "") ||
      url.search ||
      url.username ||
      url.password
    ) {
      ctx.addIssue({
        code: "custom",
        message: "must be a host or origin without path, query or credentials",
      });
      return z.NEVER;
    }
    return url.origin;
  });

export const schedule = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const problem = scheduleProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const addresses = commaList().superRefine((entries, ctx) => {
  try {
    addressList(entries);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const hostNames = commaList().superRefine((entries, ctx) => {
  for (const entry of entries) {
    const problem = hostNameProblem(entry);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }
});

const logTypeList = commaList().superRefine((codes, ctx) => {
  for (const code of codes) {
    if (!logTypes.has(code)) {
      const close = [...logTypes.keys()]
        .filter((known) => known.startsWith(code.slice(0, 2)))
        .slice(0, 5);
      ctx.addIssue({
        code: "custom",
        message: `"${code}" is not a known Auth0 log type code${close.length ? ` (did you mean ${close.join(", ")}?)` : ""}`,
      });
    }
  }
});

/** A share written as a percentage, "50%" or "12.5%", from 1 % to 100 %: a fraction (0.5). */
const percentage = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const match = /^(\d{1,3}(?:\.\d{1,2})?)\s*%$/.exec(v);
    const share = match ? Number(match[1]) : Number.NaN;
    if (!(share >= 1 && share <= 100)) {
      ctx.addIssue({
        code: "custom",
        message: "must be a percentage from 1% to 100%, such as 50%",
      });
      return z.NEVER;
    }
    return share / 100;
  });

/** Where the sinks' rows go in the table. */
const SINKS_MARK = {} as SettingDefinition;

const core: SettingDefinition[] = [
  {
    name: "AUTH0_DOMAIN",
    group: "Auth0",
    scope: "job",
    required: true,
    example: "acme.eu.auth0.com",
    description: "The tenant's domain, or its origin URL (plain http:// only for loopback hosts).",
    schema: domain,
  },
  {
    name: "AUTH0_CLIENT_ID",
    group: "Auth0",
    scope: "job",
    required: true,
    example: "Xo2v…",
    description:
      "Client ID of an application allowed the client-credentials grant for the Management API with the read:logs scope.",
    schema: text,
  },
  {
    name: "AUTH0_CLIENT_SECRET",
    group: "Auth0",
    scope: "job",
    required: true,
    secret: true,
    example: "(the application's client secret)",
    description: "That application's client secret.",
    schema: text,
  },
  {
    name: "AUTH0_RATE_LIMIT_SHARE",
    group: "Auth0",
    scope: "job",
    default: `${DEFAULT_SHARE * 100}%`,
    example: "75%",
    description:
      "The share of the tenant's Management API rate limit the exporter may use (1% to 100%): its reads go at most at that share of the bucket's refill rate, and never leave the bucket (other clients' use included) under the rest of it, nor ever under 20 % of its limit, where Auth0 writes api_limit_warning into the tenant's logs. On Enterprise the logs come out of the bucket the Dashboard, Terraform and the deploy CLI share; `check` shows the resulting ceiling in events per minute.",
    range: "1% to 100%",
    schema: percentage,
  },
  {
    name: "BATCH_SIZE",
    group: "Export",
    scope: "job",
    default: "100",
    example: "100",
    description:
      "Logs per read from Auth0, and so per batch sent (1 to 100): one POST to Logstash, one or more _bulk requests to Elasticsearch.",
    schema: integer(1, 100),
  },
  SINKS_MARK,
  {
    name: "START_FROM",
    group: "Export",
    scope: "job",
    example: "90020261124101500123000000000000000000000000000000000042",
    description:
      "Checkpoint (a 56-digit Auth0 log id) to start or replay from. Applied once, when new or changed.",
    schema: z
      .string()
      .trim()
      .superRefine((value, ctx) => {
        const problem = checkpointProblem(value);
        if (problem)
          ctx.addIssue({ code: "custom", message: `must be an Auth0 log id: ${problem}` });
      }),
  },
  {
    name: "LOG_LEVEL",
    group: "Export",
    scope: "job",
    example: "error",
    description:
      "Send events of at least this level: 0-4 or debug, info, warning, error, critical. Combines with LOG_TYPES by OR.",
    schema: z
      .string()
      .refine(
        (v) => parseLevel(v) !== undefined,
        "must be 0-4 or debug, info, warning, error, critical",
      )
      .transform((v) => parseLevel(v) as number),
  },
  {
    name: "LOG_TYPES",
    group: "Export",
    scope: "job",
    example: "s,f,fp,fu",
    description: "Comma-separated event type codes to send. Combines with LOG_LEVEL by OR.",
    list: true,
    schema: logTypeList,
  },
  {
    name: "CONFIG_FILE",
    group: "Service",
    scope: "process",
    example: "/etc/auth0-logs-to-logstash/tenants.yaml",
    description:
      "The tenants file: YAML whose top level holds process settings and defaults for every tenant, and whose tenants: map gives each tenant its own settings (docs/settings.md, The tenants file). Unset: the environment describes one tenant, `default`.",
    schema: text,
  },
  {
    name: "SCHEDULE",
    group: "Service",
    scope: "job",
    default: "*/5 * * * *",
    example: "*/5 * * * *",
    description:
      "When the service runs an execution: a cron expression (5 or 6 fields) or an interval such as 30s or 5m.",
    schema: schedule,
  },
  {
    name: "VERIFY_SCHEDULE",
    group: "Service",
    scope: "job",
    example: "30 6 * * *",
    description:
      "When the service runs `verify` over the last VERIFY_WINDOW (a cron expression or an interval, as SCHEDULE), between executions and by the replica holding the tenant; the missing count goes to the metric verify_missing_events and Slack is told once when events go missing. Unset: never.",
    schema: schedule,
  },
  {
    name: "VERIFY_WINDOW",
    group: "Service",
    scope: "job",
    default: "24h",
    example: "6h",
    description:
      "The period each scheduled verification covers, back from now; at most AUTH0_LOG_RETENTION (Auth0 has nothing older to compare with).",
    range: "1h to 365d",
    schema: duration("1h", "365d"),
  },
  {
    name: "VERIFY_REPAIR",
    group: "Service",
    scope: "job",
    default: "false",
    example: "true",
    description:
      "A scheduled verification also re-sends what is missing, as `verify --repair` does.",
    schema: boolean,
  },
  {
    name: "SLACK_INCOMING_WEBHOOK",
    group: "Slack",
    scope: "job",
    secret: true,
    example: "https://hooks.slack.com/services/T000/B000/XXXX",
    description:
      "Slack incoming webhook for failure messages (SLACK_INCOMING_WEBHOOK_URL is accepted as an alias).",
    schema: httpUrl(true),
  },
  {
    name: "SLACK_SEND_SUCCESS",
    group: "Slack",
    scope: "job",
    default: "false",
    example: "true",
    description:
      "Also post successful executions to Slack (with TAIL, a tail run's at most once per SCHEDULE period).",
    schema: boolean,
  },
  {
    name: "DATABASE_URL",
    group: "Store",
    scope: "process",
    default: "sqlite:./data/state.sqlite",
    example: "sqlite:./data/state.sqlite",
    description:
      "Where checkpoints, tokens, run history, leases and sessions are kept: sqlite:PATH (the folder is created; one process at a time), or postgres://user:password@host:5432/db (several replicas share it; ?schema=NAME for a schema of its own, created when missing; sslmode= as libpq).",
    schema: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const problem = databaseUrlProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
  },
  {
    name: "DATABASE_TIMEOUT",
    group: "Store",
    scope: "process",
    default: "5s",
    example: "8s",
    description:
      "PostgreSQL: how long one store call (a connection, then its statements) may take before it fails and is tried again later. A database that stops answering (a hung pooler or proxy) must not hold up the leases, which last 15s and are renewed every 5s.",
    range: "1s to 10s",
    schema: duration("1s", "10s"),
  },
  {
    name: "DOCUMENT_FORMAT",
    group: "Export",
    scope: "job",
    example: "ecs",
    description:
      "ecs: Elastic Common Schema 9 fields with the whole event under auth0.logs.data (default for Elasticsearch); extension: the event plus type_description (and for Logstash index and post_date), as the original (default for Logstash); log-streams: {log_id, data} as Auth0 Log Streams send.",
    schema: z.enum(["extension", "log-streams", "ecs"], {
      error: "must be ecs, extension or log-streams",
    }),
  },
  {
    name: "KEEP_ID",
    group: "Export",
    scope: "job",
    default: "false",
    example: "true",
    description:
      "Keep the `_id` field in documents sent to Logstash (Elasticsearch refuses it; the same value is in log_id).",
    schema: boolean,
  },
  {
    name: "INITIAL_LOOKBACK",
    group: "Export",
    scope: "job",
    default: "24h",
    example: "7d",
    description: "On the very first start without checkpoint or START_FROM, start this far back.",
    range: "0s to 30d",
    schema: duration("0s", "30d"),
  },
  {
    name: "RETRY_MAX_TIME",
    group: "Export",
    scope: "job",
    default: "10m",
    example: "30m",
    description:
      "Total time one execution may spend waiting to retry failed requests before it fails (nothing is skipped).",
    range: "0s to 24h",
    schema: duration("0s", "24h"),
  },
  {
    name: "REQUEST_TIMEOUT",
    group: "Export",
    scope: "job",
    default: "30s",
    example: "60s",
    description: "Timeout of one HTTP request to Auth0 or Logstash.",
    range: "100ms to 10m",
    schema: duration("100ms", "10m"),
  },
  {
    name: "TAIL",
    group: "Service",
    scope: "job",
    default: "false",
    example: "true",
    description:
      "Near-real-time delivery: once caught up, poll again every TAIL_INTERVAL instead of waiting for the next SCHEDULE tick. Polls that read nothing are not recorded as runs; those that export fold into one tail run.",
    schema: boolean,
  },
  {
    name: "TAIL_INTERVAL",
    group: "Service",
    scope: "job",
    default: "5s",
    example: "2s",
    description: "With TAIL=true, the pause between polls once caught up.",
    range: "1s to 1h",
    schema: duration("1s", "1h"),
  },
  {
    name: "RUNS_RETENTION",
    group: "Service",
    scope: "process",
    default: "30d",
    example: "90d",
    description: "How long run records are kept.",
    range: "1h to 3650d",
    schema: duration("1h", "3650d"),
  },
  {
    name: "AUTH0_LOG_RETENTION",
    group: "Service",
    scope: "job",
    default: "1d",
    example: "30d",
    description:
      "Your plan's log retention (1d Starter, 5d Essentials, 10d Professional, 30d Enterprise): an execution that starts from an older checkpoint warns that events may already be gone.",
    range: "1h to 365d",
    schema: duration("1h", "365d"),
  },
  {
    name: "STALE_AFTER",
    group: "Service",
    scope: "job",
    default: "24h",
    example: "6h",
    description:
      "Warn when, after catching up, the newest exported event is older than this (a quiet tenant, or logs not reaching Auth0).",
    range: "1m to 365d",
    schema: duration("1m", "365d"),
  },
  {
    name: "ALERT_REMINDER",
    group: "Slack",
    scope: "job",
    default: "1h",
    example: "4h",
    description:
      "While executions keep failing for the same cause, post a reminder at most this often (the first failure and the recovery are always posted).",
    range: "1s to 30d",
    schema: duration("1s", "30d"),
  },
  {
    name: "SLACK_DAILY_REPORT_HOUR",
    group: "Slack",
    scope: "job",
    example: "8",
    description:
      "Hour (0-23, UTC) of a daily Slack report: logs exported, failures, warnings, checkpoint and lag. Unset: no report.",
    schema: integer(0, 23),
  },
  {
    name: "READY_MAX_FAILURES",
    group: "Service",
    scope: "process",
    default: "3",
    example: "1",
    description: "GET /readyz answers 503 after this many executions in a row failed.",
    schema: integer(1, 1000),
  },
  {
    name: "DASHBOARD_USER",
    group: "Dashboard",
    scope: "process",
    default: "admin",
    example: "ops",
    description: "User name for signing in to the dashboard.",
    schema: text,
  },
  {
    name: "DASHBOARD_PASSWORD",
    group: "Dashboard",
    scope: "process",
    secret: true,
    example: "(a long passphrase)",
    description:
      "Dashboard password. Unset: a strong one is generated at the first start, written once to `dashboard-password` (mode 0600) in the state folder (the log line says where; a terminal shows it too), and only its hash is kept.",
    schema: z.string().min(12, "must be at least 12 characters"),
  },
  {
    name: "DASHBOARD_SESSION_TTL",
    group: "Dashboard",
    scope: "process",
    default: "12h",
    example: "1h",
    description: "How long a dashboard sign-in lasts.",
    range: "1m to 30d",
    schema: duration("1m", "30d"),
  },
  {
    name: "EXPORTER_LOG_LEVEL",
    group: "Service",
    scope: "process",
    default: "info",
    example: "debug",
    description:
      "Level of the exporter's own logs: trace, debug, info, warn, error, fatal or silent.",
    schema: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      error: "must be trace, debug, info, warn, error, fatal or silent",
    }),
  },
  {
    name: "HTTP_HOST",
    group: "Service",
    scope: "process",
    default: "127.0.0.1",
    example: "0.0.0.0",
    description:
      "Address the service's HTTP listener (dashboard, health, metrics) binds to. It answers requests for this address or name, localhost and ALLOWED_HOSTS; bound to every address (0.0.0.0 or ::), for any IP address too.",
    schema: text,
  },
  {
    name: "HTTP_PORT",
    group: "Service",
    scope: "process",
    default: "3000",
    example: "8080",
    description: "Port of that listener (0 picks a free one).",
    schema: integer(0, 65535),
  },
  {
    name: "ALLOWED_HOSTS",
    group: "Service",
    scope: "process",
    example: "exporter.example.com,auth0-logs-to-logstash",
    description:
      "Further host names the listener answers to (comma-separated, exact, any port): a reverse proxy's public name, a Kubernetes Service's. A request naming another host (its Host header) is answered 421, so that a web page whose DNS name was pointed at the service (DNS rebinding) cannot read it through a browser.",
    list: true,
    schema: hostNames,
  },
  {
    name: "INTAKE_HOST",
    group: "Log Streams",
    scope: "process",
    default: "127.0.0.1",
    example: "0.0.0.0",
    description:
      "Address the Log Streams intake listens on: a second listener, apart from the dashboard's, serving only POST /log-stream (the tenant the environment describes), POST /log-stream/<tenant id> (a tenants file) and GET /healthz. It is opened only when a tenant has LOG_STREAM_TOKEN. Auth0 sends to a public https:// URL only: put a reverse proxy or an Ingress in front (README, Log Streams), or set INTAKE_TLS_CERT and INTAKE_TLS_KEY.",
    schema: text,
  },
  {
    name: "INTAKE_PORT",
    group: "Log Streams",
    scope: "process",
    default: "3001",
    example: "8443",
    description: "Port of the Log Streams intake (0 picks a free one).",
    schema: integer(0, 65535),
  },
  {
    name: "INTAKE_TLS_CERT",
    group: "Log Streams",
    scope: "process",
    example: "/etc/auth0-logs-to-logstash/tls/fullchain.pem",
    description:
      "PEM certificate chain (a file) for the intake to serve https:// itself, with INTAKE_TLS_KEY. Auth0 refuses self-signed certificates: the chain must be publicly trusted. Unset: plain http, for a reverse proxy in front.",
    schema: text,
  },
  {
    name: "INTAKE_TLS_KEY",
    group: "Log Streams",
    scope: "process",
    example: "/etc/auth0-logs-to-logstash/tls/privkey.pem",
    description: "PEM private key (a file) of INTAKE_TLS_CERT.",
    schema: text,
  },
  {
    name: "LOG_STREAM_TOKEN",
    group: "Log Streams",
    scope: "job",
    secret: true,
    example: "Bearer 3f9c1d2e8a7b4c6d9e0f1a2b3c4d5e6f",
    description:
      "The exact Authorization header value the tenant's Auth0 Log Stream (custom webhook) sends. With it the tenant accepts pushes on the intake; a request with any other value gets 401 and changes nothing. At least 16 characters.",
    schema: z
      .string()
      .trim()
      .min(
        16,
        "must be at least 16 characters (a long random value, such as Bearer and 32 hex digits)",
      )
      .max(4096, "must be at most 4096 characters"),
  },
  {
    name: "LOG_STREAM_ID",
    group: "Log Streams",
    scope: "job",
    example: "lst_0000000000012345",
    description:
      "The tenant's Log Stream id (lst_…, as `setup --log-stream` prints it). With it each sweep reads the stream's status from the Management API (scope read:log_streams): anything but active is a warning, a metric, a line in `status` and one Slack alert.",
    schema: z
      .string()
      .trim()
      .regex(/^lst_[A-Za-z0-9]{1,64}$/, "must be a Log Stream id such as lst_0000000000012345"),
  },
  {
    name: "LOG_STREAM_RESUME",
    group: "Log Streams",
    scope: "job",
    default: "false",
    example: "true",
    description:
      "With LOG_STREAM_ID: set a paused or suspended stream back to active (scope update:log_streams), and say so in the run; the sweep fills what it missed meanwhile.",
    schema: boolean,
  },
  {
    name: "LOG_STREAM_SWEEP_DELAY",
    group: "Log Streams",
    scope: "job",
    default: "1m",
    example: "5m",
    description:
      "With LOG_STREAM_TOKEN: how far behind now the sweep (the checkpoint pull) stops, so that it fills only what the stream left, not what the stream is about to deliver.",
    range: "0s to 1h",
    schema: duration("0s", "1h"),
  },
  {
    name: "TRUSTED_PROXIES",
    group: "Dashboard",
    scope: "process",
    example: "10.0.0.0/8,loopback",
    description:
      "Reverse proxies in front of the dashboard (addresses, CIDR ranges or loopback, comma-separated): their X-Forwarded-For names the client for the sign-in limit and their X-Forwarded-Proto=https makes cookies Secure and turns on HSTS. Headers from anyone else are ignored.",
    list: true,
    schema: addresses,
  },
  {
    name: "ALLOW_INSECURE_HTTP",
    group: "Export",
    scope: "job",
    default: "false",
    example: "true",
    description:
      "Allow a password, token or API key to be sent to Logstash or Elasticsearch over plain http:// to a host other than loopback (refused otherwise: anyone on the path could read it).",
    schema: boolean,
  },
];

/** The core rows, with each sink's rows (sinks/index.ts) where the table lists sinks. */
export const settings: SettingDefinition[] = core.flatMap((row) =>
  row === SINKS_MARK ? SINKS.flatMap((sink) => sink.settings) : [row],
);

export const settingsByName = new Map(settings.map((s) => [s.name, s]));

/** One value for the whole service: the top level of the tenants file, or the environment. */
export const processSettings: SettingDefinition[] = settings.filter((s) => s.scope === "process");

/** One value per tenant (job): its entry in the tenants file, else the file's top level, etc. */
export const jobSettings: SettingDefinition[] = settings.filter((s) => s.scope === "job");

export const ALIASES: Record<string, string> = {
  SLACK_INCOMING_WEBHOOK_URL: "SLACK_INCOMING_WEBHOOK",
};
