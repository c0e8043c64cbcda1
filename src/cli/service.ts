// The service's process assembled from its settings: the store, the metrics (the supervisor's
// observer), each tenant's notifier and the supervisor. `run` and the tests build it here, so a
// test drives the same wiring the service runs with; each brings its own logger and web front.

import type { Logger } from "pino";
import type { JobConfig, ProcessConfig } from "../config/types.ts";
import type { Notifier, Store } from "../interfaces.ts";
import { Metrics } from "../metrics/prometheus.ts";
import { NullNotifier, SlackNotifier } from "../notify/notifier.ts";
import { Supervisor } from "../runner/supervisor.ts";
import { type OpenOptions, openStore } from "../store/open.ts";

export interface Service {
  store: Store;
  metrics: Metrics;
  supervisor: Supervisor;
}

export interface ServiceOptions {
  logger: Logger;
  /** How long to keep trying a database that is not up yet (`run`); without it, one try. */
  storeRetry?: OpenOptions["retry"];
  /** Each job held starts with an execution (`run`), rather than at its first SCHEDULE tick. */
  runAtStart?: boolean;
  /** The metrics registry (default: with Node's process metrics, as `run` serves them). */
  metrics?: Metrics;
  /** A tenant's alerts (default: Slack when it has SLACK_WEBHOOK_URL, otherwise none). */
  notifierFor?: (job: JobConfig, store: Store) => Notifier;
}

/** A tenant's alerts: to its Slack webhook when it has one, otherwise nowhere. */
export function notifierFor(job: JobConfig, store: Store, logger: Logger): Notifier {
  return job.slack.webhookUrl
    ? new SlackNotifier(
        job,
        store.forJob(job.id),
        logger.child({ tenant: job.id }),
        job.slack.webhookUrl,
      )
    : new NullNotifier();
}

/**
 * Opens the store, says the settings' warnings, and builds the supervisor of `jobs`; nothing is
 * started (the caller starts the supervisor, and closes the store if that fails).
 */
export async function assembleService(
  deployment: {
    process: Pick<
      ProcessConfig,
      "databaseUrl" | "databaseTimeoutMs" | "runsRetentionMs" | "warnings"
    >;
    jobs: JobConfig[];
  },
  options: ServiceOptions,
): Promise<Service> {
  const { logger } = options;
  const settings = deployment.process;
  const store = await openStore(settings.databaseUrl, {
    timeoutMs: settings.databaseTimeoutMs,
    ...(options.storeRetry ? { retry: options.storeRetry } : {}),
  });
  const metrics = options.metrics ?? new Metrics();
  for (const warning of settings.warnings) logger.warn(warning);
  for (const job of deployment.jobs) {
    for (const warning of job.warnings) logger.warn({ tenant: job.id }, warning);
  }
  const supervisor = new Supervisor(deployment.jobs, {
    store,
    logger,
    observer: metrics,
    runsRetentionMs: settings.runsRetentionMs,
    runAtStart: options.runAtStart ?? false,
    notifierFor: (job) =>
      options.notifierFor ? options.notifierFor(job, store) : notifierFor(job, store, logger),
  });
  return { store, metrics, supervisor };
}
