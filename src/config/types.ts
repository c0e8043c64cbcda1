// The validated settings, as the rest of the program sees them. Durations are milliseconds.

import type { DocumentFormat } from "../interfaces.ts";
import type { ElasticsearchConfig } from "../sinks/elasticsearch/config.ts";
import type { LogstashConfig } from "../sinks/logstash/config.ts";

export type SinkConfig = LogstashConfig | ElasticsearchConfig;

export interface Config {
  auth0: {
    /** Origin such as https://acme.eu.auth0.com (http:// only for loopback hosts). */
    origin: string;
    clientId: string;
    clientSecret: string;
  };
  /** Where the documents go: Logstash's http input, or Elasticsearch/OpenSearch. */
  sink: SinkConfig;
  /**
   * The cluster `setup` prepares: the sink's with the Elasticsearch sink; with Logstash, the one
   * behind it when ELASTICSEARCH_URL is set too (only `setup` reads it then).
   */
  elasticsearch: ElasticsearchConfig | undefined;
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
  databaseUrl: string;
  /** DATABASE_TIMEOUT: how long one call on PostgreSQL may take. */
  databaseTimeoutMs: number;
  /** Level of the exporter's own logs (pino): trace, debug, info, warn, error, fatal, silent. */
  exporterLogLevel: string;
  schedule: string;
  tail: { enabled: boolean; intervalMs: number };
  runsRetentionMs: number;
  auth0LogRetentionMs: number;
  staleAfterMs: number;
  readyMaxFailures: number;
  slack: {
    webhookUrl: string | undefined;
    sendSuccess: boolean;
    reminderMs: number;
    dailyReportHour: number | undefined;
  };
  http: {
    host: string;
    port: number;
    /** Host names the listener answers to besides its address and localhost (ALLOWED_HOSTS). */
    allowedHosts: string[] | undefined;
    trustedProxies: string[] | undefined;
  };
  dashboard: { user: string; password: string | undefined; sessionTtlMs: number };
  /** Risks the settings accept but that must be said at every start (ALLOW_INSECURE_HTTP). */
  warnings: string[];
}

/** The settings of the service itself, one value for all its tenants. */
export interface ProcessConfig {
  databaseUrl: string;
  databaseTimeoutMs: number;
  exporterLogLevel: string;
  http: Config["http"];
  dashboard: Config["dashboard"];
  readyMaxFailures: number;
  runsRetentionMs: number;
  /** The tenants file read, as given; undefined: the environment describes one tenant. */
  configFile: string | undefined;
  /**
   * What the deployment as a whole should be told at every start: names in .env or the
   * environment that are not settings (misspelt.ts), tenants that read the same Auth0 application
   * or write to the same target. Each job's own warnings are in its `warnings`.
   */
  warnings: string[];
}

/** One tenant's full settings (its process settings are the deployment's), and its id. */
export type JobConfig = Config & { id: string };

export interface Deployment {
  process: ProcessConfig;
  jobs: JobConfig[];
  /** The tenants file read (absolute), or undefined without one. */
  file: string | undefined;
}
