// Prometheus metrics of the service, in a registry of its own (no global state between tests).
// Every job's series carry a `tenant` label; the sides of retries and 429s are auth0 and the
// job's sink (logstash or elasticsearch).

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type ExecutionStats, NO_COUNTS, type RunCounts } from "../interfaces.ts";

export class Metrics {
  readonly registry = new Registry();
  private readonly counter = (name: string, help: string, labelNames = ["tenant"]) =>
    new Counter({ name, help, labelNames, registers: [this.registry] });
  readonly eventsRead = this.counter("a2l_events_read_total", "Log events read from Auth0");
  readonly eventsSent = this.counter(
    "a2l_events_sent_total",
    "Log events acknowledged by the sink",
  );
  readonly eventsFiltered = this.counter(
    "a2l_events_filtered_total",
    "Log events left out by LOG_TYPES / LOG_LEVEL",
  );
  readonly eventsRejected = this.counter(
    "a2l_events_rejected_total",
    "Log events the sink refused for good, kept as dead letters",
  );
  readonly batches = this.counter("a2l_batches_total", "Batches acknowledged and committed");
  readonly retries = this.counter("a2l_retries_total", "Retried requests, by side", [
    "tenant",
    "side",
  ]);
  readonly rateLimited = this.counter("a2l_rate_limited_total", "429 answers, by side", [
    "tenant",
    "side",
  ]);
  readonly executions = this.counter("a2l_executions_total", "Executions, by outcome", [
    "tenant",
    "outcome",
  ]);
  readonly leaseTakeovers = this.counter(
    "a2l_lease_takeovers_total",
    "Jobs whose lease this replica took (at start, from a replica gone, or handed over)",
  );
  readonly duration = new Histogram({
    name: "a2l_execution_duration_seconds",
    help: "Duration of executions",
    labelNames: ["tenant", "outcome"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: "a2l_checkpoint_lag_seconds",
    help: "How far the checkpoint is behind now",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: "a2l_last_success_timestamp_seconds",
    help: "When an execution last caught up",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly deadLetters = new Gauge({
    name: "a2l_dead_letters",
    help: "Dead letters waiting to be re-sent (dead-letters retry)",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly logRetention = new Gauge({
    name: "a2l_log_retention_seconds",
    help: "The tenant's Auth0 log retention (AUTH0_LOG_RETENTION): events older than this may already be deleted by Auth0",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly tenantsHeld = new Gauge({
    name: "a2l_tenants_held",
    help: "Jobs (tenants) this replica holds the lease of, and exports",
    registers: [this.registry],
  });
  readonly leaseRound = new Gauge({
    name: "a2l_lease_round_timestamp_seconds",
    help: "When this replica last completed a lease round (heartbeat, claims): stale while the store does not answer",
    registers: [this.registry],
  });

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * This replica no longer exports `tenant` (handed over, taken over, removed): its gauges go, so
   * that only the holder reports a tenant's lag (counters stay: they only ever add).
   */
  forget(tenant: string): void {
    for (const gauge of [this.lag, this.lastSuccess, this.deadLetters]) gauge.remove({ tenant });
  }

  /**
   * The tenants this deployment exports, whoever holds them: every replica says so (alerts use it
   * to tell a tenant that nobody exports from one that does not exist).
   */
  configured(tenants: { id: string; auth0LogRetentionMs: number }[]): void {
    this.logRetention.reset();
    for (const tenant of tenants) {
      this.logRetention.set({ tenant: tenant.id }, tenant.auth0LogRetentionMs / 1000);
    }
  }

  /** Adds what an execution did since its previous report (`before`; null at its start). */
  progress(
    tenant: string,
    progress: RunCounts & { lagMs: number | null },
    before: RunCounts | null,
  ): void {
    const last = before ?? NO_COUNTS;
    const labels = { tenant };
    this.eventsRead.inc(labels, progress.read - last.read);
    this.eventsSent.inc(labels, progress.sent - last.sent);
    this.eventsFiltered.inc(labels, progress.filtered - last.filtered);
    this.eventsRejected.inc(labels, progress.rejected - last.rejected);
    this.batches.inc(labels, progress.batches - last.batches);
    if (progress.lagMs !== null) this.lag.set(labels, progress.lagMs / 1000);
  }

  /** `sink` names the sink's side in labels: logstash or elasticsearch. */
  executionEnded(
    tenant: string,
    outcome: string,
    durationMs: number,
    stats: ExecutionStats,
    lagMs: number | null,
    sink: string,
  ): void {
    this.executions.inc({ tenant, outcome });
    this.duration.observe({ tenant, outcome }, durationMs / 1000);
    for (const side of ["source", "sink"] as const) {
      const labels = { tenant, side: side === "source" ? "auth0" : sink };
      this.retries.inc(labels, stats.retries[side]);
      this.rateLimited.inc(labels, stats.rateLimited[side]);
    }
    if (lagMs !== null) this.lag.set({ tenant }, lagMs / 1000);
    if (outcome === "success") this.lastSuccess.set({ tenant }, Date.now() / 1000);
  }
}
