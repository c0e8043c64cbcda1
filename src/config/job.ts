// One tenant's settings from their raw values: every row parsed, the one sink its settings choose
// (from the list in sinks/index.ts, by the settings that select each), its derived secrets
// registered, and every problem collected rather than thrown.

import type { DocumentFormat } from "../interfaces.ts";
import { durationText } from "../settings-kit/duration.ts";
import { SINKS, type SinkModule } from "../sinks/index.ts";
import { registerSecrets, urlSecrets } from "../util/secrets.ts";
import type { RawSettings } from "./gather.ts";
import { parseRows, withTypoHints } from "./messages.ts";
import { settings, settingsByName } from "./settings.ts";
import type { JobSettings, ProcessConfig, ProcessSettings, SinkConfig } from "./types.ts";

/** "A", "A or B", "A, B or C". */
function orList(names: string[]): string {
  return names.length < 2
    ? (names[0] ?? "")
    : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/** The sinks whose settings were given, valid or not: an invalid value still says which is meant. */
export function chosenSinks(values: Record<string, unknown>): SinkModule[] {
  return SINKS.filter((sink) => sink.selectedBy.some((name) => values[name] !== undefined));
}

/** Exactly one sink, chosen by its settings; its settings, or the problems with them. */
function chooseSink(
  raw: RawSettings,
  parsed: Record<string, unknown>,
  problems: string[],
  warnings: string[],
): { module: SinkModule; sink: SinkConfig | undefined } | undefined {
  const chosen = chosenSinks(raw.values);
  const [first, ...others] = SINKS as [SinkModule, ...SinkModule[]];
  if (chosen.length === 0) {
    const main = first.selectedBy[0] as string;
    const unless = others
      .map((sink) => `${orList(sink.selectedBy)} selects the ${sink.label} sink`)
      .join(", or ");
    problems.push(
      `${main}: required but not set, unless ${unless} (example: ${main}=${settingsByName.get(main)?.example})`,
    );
    return undefined;
  }
  const [one, ...more] = chosen as [SinkModule, ...SinkModule[]];
  if (more.length > 0) {
    const main = one.selectedBy[0] as string;
    const also = more
      .map((sink) => {
        const [name, ...rest] = sink.selectedBy;
        return rest.length > 0 ? `${name} (or ${orList(rest)})` : name;
      })
      .join(", ");
    const notes = more.flatMap((sink) => (sink.setup ? [sink.setup.beside(main)] : []));
    problems.push(
      `${main}: set together with ${also}; choose one sink: ${chosen.map((sink) => sink.choice).join(", or ")}${notes.map((note) => ` (${note})`).join("")}`,
    );
    return undefined;
  }
  return {
    module: one,
    sink: one.configFrom(parsed, problems, warnings) as SinkConfig | undefined,
  };
}

/** DOCUMENT_FORMAT, else the default of `sink`. */
export function documentFormat(parsed: Record<string, unknown>, sink: SinkModule): DocumentFormat {
  return (parsed.DOCUMENT_FORMAT as DocumentFormat | undefined) ?? sink.defaultFormat;
}

/**
 * One tenant's settings from their raw values, or every problem with them (none thrown): what
 * loadConfig does with the environment, and loadDeployment with each tenant of the tenants file.
 */
export function buildConfig(raw: RawSettings): {
  config: { job: JobSettings; process: ProcessSettings } | undefined;
  problems: string[];
} {
  const problems = [...raw.problems];
  const parsed = parseRows(raw, settings, problems);
  const warnings: string[] = [];
  const chosen = chooseSink(raw, parsed, problems, warnings);
  if (chosen?.sink) registerSecrets(...chosen.module.secretForms(chosen.sink));
  if (chosen?.sink) problems.push(...(chosen.module.refuses?.(parsed) ?? []));
  problems.push(...logStreamProblems(parsed));
  const window = parsed.VERIFY_WINDOW as number | undefined;
  const retention = parsed.AUTH0_LOG_RETENTION as number | undefined;
  if (
    parsed.VERIFY_SCHEDULE !== undefined &&
    window !== undefined &&
    retention !== undefined &&
    window > retention
  ) {
    problems.push(
      `VERIFY_WINDOW: ${durationText(window)} reaches further back than AUTH0_LOG_RETENTION (${durationText(retention)}): Auth0 no longer has the oldest events to compare with (example: VERIFY_WINDOW=${durationText(retention)})`,
    );
  }
  if (parsed.LOG_STREAM_TOKEN !== undefined && parsed.TAIL === true) {
    warnings.push(
      "TAIL=true with a Log Stream (LOG_STREAM_TOKEN) spends Management API requests for nothing: the stream delivers within seconds and the sweep on SCHEDULE fills its gaps; set TAIL=false",
    );
  }
  if (problems.length > 0 || chosen?.sink === undefined) {
    return { config: undefined, problems: withTypoHints(problems, raw) };
  }
  const job: JobSettings = {
    auth0: {
      origin: parsed.AUTH0_DOMAIN as string,
      clientId: parsed.AUTH0_CLIENT_ID as string,
      clientSecret: parsed.AUTH0_CLIENT_SECRET as string,
    },
    rateLimitShare: parsed.AUTH0_RATE_LIMIT_SHARE as number,
    sink: chosen.sink,
    batchSize: parsed.BATCH_SIZE as number,
    startFrom: parsed.START_FROM as string | undefined,
    logLevel: parsed.LOG_LEVEL as number | undefined,
    logTypes: (parsed.LOG_TYPES as string[] | undefined)?.length
      ? (parsed.LOG_TYPES as string[])
      : undefined,
    documentFormat: documentFormat(parsed, chosen.module),
    keepId: parsed.KEEP_ID as boolean,
    initialLookbackMs: parsed.INITIAL_LOOKBACK as number,
    retryMaxTimeMs: parsed.RETRY_MAX_TIME as number,
    requestTimeoutMs: parsed.REQUEST_TIMEOUT as number,
    schedule: parsed.SCHEDULE as string,
    verify: {
      schedule: parsed.VERIFY_SCHEDULE as string | undefined,
      windowMs: parsed.VERIFY_WINDOW as number,
      repair: parsed.VERIFY_REPAIR as boolean,
    },
    tail: { enabled: parsed.TAIL as boolean, intervalMs: parsed.TAIL_INTERVAL as number },
    auth0LogRetentionMs: parsed.AUTH0_LOG_RETENTION as number,
    staleAfterMs: parsed.STALE_AFTER as number,
    slack: {
      webhookUrl: parsed.SLACK_INCOMING_WEBHOOK as string | undefined,
      sendSuccess: parsed.SLACK_SEND_SUCCESS as boolean,
      reminderMs: parsed.ALERT_REMINDER as number,
      dailyReportHour: parsed.SLACK_DAILY_REPORT_HOUR as number | undefined,
    },
    logStream:
      parsed.LOG_STREAM_TOKEN === undefined
        ? undefined
        : {
            token: parsed.LOG_STREAM_TOKEN as string,
            id: parsed.LOG_STREAM_ID as string | undefined,
            resume: parsed.LOG_STREAM_RESUME as boolean,
            sweepDelayMs: parsed.LOG_STREAM_SWEEP_DELAY as number,
          },
    warnings,
  };
  const process: ProcessSettings = {
    databaseUrl: parsed.DATABASE_URL as string,
    databaseTimeoutMs: parsed.DATABASE_TIMEOUT as number,
    exporterLogLevel: parsed.EXPORTER_LOG_LEVEL as string,
    readyMaxFailures: parsed.READY_MAX_FAILURES as number,
    runsRetentionMs: parsed.RUNS_RETENTION as number,
    http: {
      host: parsed.HTTP_HOST as string,
      port: parsed.HTTP_PORT as number,
      allowedHosts: parsed.ALLOWED_HOSTS as string[] | undefined,
      trustedProxies: parsed.TRUSTED_PROXIES as string[] | undefined,
    },
    intake: {
      host: parsed.INTAKE_HOST as string,
      port: parsed.INTAKE_PORT as number,
      tls:
        parsed.INTAKE_TLS_CERT === undefined
          ? undefined
          : {
              certFile: parsed.INTAKE_TLS_CERT as string,
              keyFile: parsed.INTAKE_TLS_KEY as string,
            },
    },
    dashboard: {
      user: parsed.DASHBOARD_USER as string,
      password: parsed.DASHBOARD_PASSWORD as string | undefined,
      sessionTtlMs: parsed.DASHBOARD_SESSION_TTL as number,
    },
  };
  return { config: { job, process }, problems };
}

export function processConfig(
  settings: ProcessSettings,
  configFile: string | undefined,
): ProcessConfig {
  // postgres://user:password@…: the password is a secret wherever it might be quoted.
  registerSecrets(...urlSecrets(settings.databaseUrl));
  return { ...settings, configFile, warnings: [] };
}

/** Settings of the Log Stream and its intake that only make sense together. */
function logStreamProblems(parsed: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if ((parsed.INTAKE_TLS_CERT === undefined) !== (parsed.INTAKE_TLS_KEY === undefined)) {
    problems.push(
      "INTAKE_TLS_CERT and INTAKE_TLS_KEY go together: set both to serve https:// on the intake, or neither (a reverse proxy in front)",
    );
  }
  if (parsed.LOG_STREAM_TOKEN === undefined) {
    for (const name of ["LOG_STREAM_ID", "LOG_STREAM_RESUME"]) {
      if (parsed[name] !== undefined && parsed[name] !== false) {
        problems.push(`${name} needs LOG_STREAM_TOKEN (the Authorization value the stream sends)`);
      }
    }
  }
  return problems;
}
