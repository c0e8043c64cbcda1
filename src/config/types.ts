// The validated settings, as the rest of the program sees them. Durations are milliseconds.

import type { DocumentFormat } from "../interfaces.ts";
import type { SinkConfig } from "../sinks/index.ts";

export type { SinkConfig };

/** One tenant's own settings: everything its job reads (the process's are in ProcessSettings). */
export interface JobSettings {
  auth0: {
    /** Origin such as https://acme.eu.auth0.com (http:// only for loopback hosts). */
    origin: string;
    clientId: string;
    clientSecret: string;
  };
  /** Where the documents go: the one sink its settings chose (sinks/index.ts). */
  sink: SinkConfig;
  /**
   * The share of the Management API bucket's refill the reads may use, 0.01..1
   * (AUTH0_RATE_LIMIT_SHARE): the pacer never leaves the bucket under the rest of it.
   */
  rateLimitShare: number;
  /** Logs per read, 1..100. */
  batchSize: number;
  startFrom: string | undefined;
  /** Minimum level 0 (debug) .. 4 (critical) from LOG_LEVEL, or undefined. */
  logLevel: number | undefined;
  /** Event type codes from LOG_TYPES, or undefined when not set. */
  logTypes: string[] | undefined;
  documentFormat: DocumentFormat;
  keepId: boolean;
  /** Look-back for the first start without checkpoint or START_FROM. */
  initialLookbackMs: number;
  retryMaxTimeMs: number;
  requestTimeoutMs: number;
  schedule: string;
  /** Verification by the service (VERIFY_SCHEDULE, VERIFY_WINDOW, VERIFY_REPAIR). */
  verify: { schedule: string | undefined; windowMs: number; repair: boolean };
  tail: { enabled: boolean; intervalMs: number };
  auth0LogRetentionMs: number;
  staleAfterMs: number;
  slack: {
    webhookUrl: string | undefined;
    sendSuccess: boolean;
    reminderMs: number;
    dailyReportHour: number | undefined;
  };
  /**
   * Its Auth0 Log Stream, when it has one (LOG_STREAM_TOKEN): pushes accepted on the intake, both
   * paths deduplicated through the store's record of delivered ids.
   */
  logStream:
    | {
        /** The exact Authorization value the stream sends. */
        token: string;
        /** Its lst_ id, to watch its status from the sweep. */
        id: string | undefined;
        resume: boolean;
        /** How far behind now the sweep stops (LOG_STREAM_SWEEP_DELAY). */
        sweepDelayMs: number;
      }
    | undefined;
  /** Risks the settings accept but that must be said at every start (ALLOW_INSECURE_HTTP). */
  warnings: string[];
}

/** The settings of the service itself, one value for all its tenants. */
export interface ProcessSettings {
  databaseUrl: string;
  /** DATABASE_TIMEOUT: how long one call on PostgreSQL may take. */
  databaseTimeoutMs: number;
  /** Level of the exporter's own logs (pino): trace, debug, info, warn, error, fatal, silent. */
  exporterLogLevel: string;
  http: {
    host: string;
    port: number;
    /** Host names the listener answers to besides its address and localhost (ALLOWED_HOSTS). */
    allowedHosts: string[] | undefined;
    trustedProxies: string[] | undefined;
  };
  /** The Log Streams intake's listener (opened when a tenant has a stream). */
  intake: {
    host: string;
    port: number;
    /** Paths of the PEM files to serve https:// directly; undefined: plain http behind a proxy. */
    tls: { certFile: string; keyFile: string } | undefined;
  };
  dashboard: { user: string; password: string | undefined; sessionTtlMs: number };
  readyMaxFailures: number;
  runsRetentionMs: number;
}

/** What the environment says for one tenant (loadConfig): its job's settings and the process's. */
export type Config = JobSettings & ProcessSettings;

/** The process's settings as a deployment has them. */
export interface ProcessConfig extends ProcessSettings {
  /** The tenants file read, as given; undefined: the environment describes one tenant. */
  configFile: string | undefined;
  /**
   * What the deployment as a whole should be told at every start: names in .env or the
   * environment that are not settings (misspelt.ts), tenants that read the same Auth0 application
   * or write to the same target. Each job's own warnings are in its `warnings`.
   */
  warnings: string[];
}

/** One tenant's job: its own settings and its id (its process settings are the deployment's). */
export interface JobConfig extends JobSettings {
  id: string;
}

export interface Deployment {
  process: ProcessConfig;
  jobs: JobConfig[];
  /** The tenants file read (absolute), or undefined without one. */
  file: string | undefined;
}
