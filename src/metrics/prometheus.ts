// Prometheus metrics of the service, in a registry of its own (no global state between tests),
// fed through the runner's observer ports (ports/observers.ts) and served by the web's /metrics.
// Every job's series carry a `tenant` label; the sides of retries and 429s are auth0 and the
// job's sink (logstash or elasticsearch). Names start with `auth0_logs_exporter_`.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { NO_COUNTS, type RunCounts } from "../interfaces.ts";
import type { JobObserver, MeasuredExecution, ReplicaObserver } from "../ports/observers.ts";

const PREFIX = "auth0_logs_exporter_";

export class Metrics implements JobObserver, ReplicaObserver {
  readonly registry = new Registry();
  private readonly counter = (name: string, help: string, labelNames = ["tenant"]) =>
    new Counter({ name: PREFIX + name, help, labelNames, registers: [this.registry] });
  private readonly gauge = (name: string, help: string, labelNames = ["tenant"]) =>
    new Gauge({ name: PREFIX + name, help, labelNames, registers: [this.registry] });
  private readonly eventsRead = this.counter("events_read_total", "Log events read from Auth0");
  private readonly eventsSent = this.counter(
    "events_sent_total",
    "Log events acknowledged by the sink",
  );
  private readonly eventsFiltered = this.counter(
    "events_filtered_total",
    "Log events left out by LOG_TYPES / LOG_LEVEL",
  );
  private readonly eventsStreamed = this.counter(
    "events_already_streamed_total",
    "Log events the sweep left out because the tenant's Log Stream (or an earlier push) already delivered them",
  );
  private readonly eventsRejected = this.counter(
    "events_rejected_total",
    "Log events the sink refused for good, kept as dead letters",
  );
  private readonly batches = this.counter("batches_total", "Batches acknowledged and committed");
  private readonly retries = this.counter("retries_total", "Retried requests, by side", [
    "tenant",
    "side",
  ]);
  private readonly rateLimited = this.counter("rate_limited_total", "429 answers, by side", [
    "tenant",
    "side",
  ]);
  private readonly executions = this.counter("executions_total", "Executions, by outcome", [
    "tenant",
    "outcome",
  ]);
  private readonly leaseTakeovers = this.counter(
    "lease_takeovers_total",
    "Jobs whose lease this replica took (at start, from a replica gone, or handed over)",
  );
  private readonly duration = new Histogram({
    name: `${PREFIX}execution_duration_seconds`,
    help: "Duration of executions",
    labelNames: ["tenant", "outcome"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  private readonly lag = this.gauge(
    "checkpoint_lag_seconds",
    "How far the checkpoint is behind now",
  );
  private readonly lastSuccessAt = this.gauge(
    "last_success_timestamp_seconds",
    "When an execution last caught up",
  );
  private readonly deadLettersPending = this.gauge(
    "dead_letters",
    "Dead letters waiting to be re-sent (dead-letters retry)",
  );
  private readonly logRetention = this.gauge(
    "log_retention_seconds",
    "The tenant's Auth0 log retention (AUTH0_LOG_RETENTION): events older than this may already be deleted by Auth0",
  );
  private readonly bucketRemaining = this.gauge(
    "rate_limit_remaining",
    "Tokens left in the tenant's Management API bucket as last seen (x-ratelimit-remaining, other clients' use included)",
  );
  private readonly bucketLimit = this.gauge(
    "rate_limit_limit",
    "The tenant's Management API bucket size as last seen (x-ratelimit-limit)",
  );
  private readonly rateLimitShare = this.gauge(
    "rate_limit_share",
    "The share of the bucket's refill the exporter may use (AUTH0_RATE_LIMIT_SHARE, 0-1)",
  );
  private readonly limitEvents = this.counter(
    "auth0_limit_events_total",
    "Auth0's api_limit (a 429) and api_limit_warning (a bucket left under 20 %) events read from the tenant's own log, by type",
    ["tenant", "type"],
  );
  private readonly streamEvents = this.counter(
    "stream_events_total",
    "Log events pushed by the tenant's Log Stream, by outcome: delivered, duplicates (already delivered by either path), filtered (LOG_TYPES / LOG_LEVEL), rejected (dead letters)",
    ["tenant", "outcome"],
  );
  private readonly lastPushAt = this.gauge(
    "stream_last_push_timestamp_seconds",
    "When the tenant's Log Stream last pushed events that were accepted (the latest known to this replica)",
  );
  private readonly streamStatus = this.gauge(
    "log_stream_status",
    "The tenant's Log Stream status as the sweep last read it (LOG_STREAM_ID): 1 for the current status, 0 for the others; status unknown when it could not be read",
    ["tenant", "status"],
  );
  /** The newest push known per tenant (seconds), so that an older one told later is not shown. */
  private readonly lastPushSeconds = new Map<string, number>();
  /** The status series shown per tenant, to remove when it changes or the tenant goes. */
  private readonly streamStatuses = new Map<string, Set<string>>();
  private readonly verifyMissing = this.gauge(
    "verify_missing_events",
    "Events of the last scheduled verification's period (VERIFY_SCHEDULE, VERIFY_WINDOW) that the index lacks, after its repair with VERIFY_REPAIR",
  );
  private readonly verifiedAt = this.gauge(
    "verify_last_timestamp_seconds",
    "When the last scheduled verification ended",
  );
  private readonly tenantsHeld = this.gauge(
    "tenants_held",
    "Jobs (tenants) this replica holds the lease of, and exports",
    [],
  );
  private readonly leaseRound = this.gauge(
    "lease_round_timestamp_seconds",
    "When this replica last completed a lease round (heartbeat, claims): stale while the store does not answer",
    [],
  );

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * This replica no longer exports `tenant`: its gauges go, so that only the holder reports a
   * tenant's lag (counters stay: they only ever add).
   */
  forget(tenant: string): void {
    for (const gauge of [
      this.lag,
      this.lastSuccessAt,
      this.deadLettersPending,
      this.bucketRemaining,
      this.bucketLimit,
      this.rateLimitShare,
      this.verifyMissing,
      this.verifiedAt,
    ]) {
      gauge.remove({ tenant });
    }
    // The status is read by the holder's sweep; the pushes reach every replica and stay told.
    this.forgetStreamStatus(tenant);
  }

  private forgetStreamStatus(tenant: string): void {
    for (const status of this.streamStatuses.get(tenant) ?? []) {
      this.streamStatus.remove({ tenant, status });
    }
    this.streamStatuses.delete(tenant);
  }

  pushed(
    tenant: string,
    counts: { delivered: number; duplicates: number; filtered: number; rejected: number },
    at: number,
  ): void {
    for (const outcome of ["delivered", "duplicates", "filtered", "rejected"] as const) {
      this.streamEvents.inc({ tenant, outcome }, counts[outcome]);
    }
    // Pushes are told as they end, not in order; the sweep tells the store's latest: keep the newest.
    const seconds = at / 1000;
    const current = this.lastPushSeconds.get(tenant);
    if (current === undefined || seconds > current) {
      this.lastPushSeconds.set(tenant, seconds);
      this.lastPushAt.set({ tenant }, seconds);
    }
  }

  logStreamStatus(tenant: string, status: string | null): void {
    this.forgetStreamStatus(tenant);
    const current = status ?? "unknown";
    const shown = new Set(["active", "paused", "suspended", current]);
    for (const each of shown) {
      this.streamStatus.set({ tenant, status: each }, each === current ? 1 : 0);
    }
    this.streamStatuses.set(tenant, shown);
  }

  /**
   * The tenants this deployment exports, whoever holds them: every replica says so (alerts use it
   * to tell a tenant that nobody exports from one that does not exist).
   */
  configured(tenants: readonly { id: string; auth0LogRetentionMs: number }[]): void {
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
    this.eventsStreamed.inc(labels, progress.streamed - last.streamed);
    this.eventsRejected.inc(labels, progress.rejected - last.rejected);
    this.batches.inc(labels, progress.batches - last.batches);
    if (progress.lagMs !== null) this.lag.set(labels, progress.lagMs / 1000);
  }

  ended(
    tenant: string,
    { outcome, durationMs, stats, lagMs, sink, bucket, share }: MeasuredExecution,
  ): void {
    this.executions.inc({ tenant, outcome });
    this.duration.observe({ tenant, outcome }, durationMs / 1000);
    for (const side of ["source", "sink"] as const) {
      const labels = { tenant, side: side === "source" ? "auth0" : sink };
      this.retries.inc(labels, stats.retries[side]);
      this.rateLimited.inc(labels, stats.rateLimited[side]);
    }
    if (lagMs !== null) this.lag.set({ tenant }, lagMs / 1000);
    for (const [type, count] of Object.entries(stats.limitEvents ?? {})) {
      this.limitEvents.inc({ tenant, type }, count);
    }
    if (bucket) {
      this.bucketRemaining.set({ tenant }, bucket.remaining);
      this.bucketLimit.set({ tenant }, bucket.limit);
    }
    if (share !== undefined) this.rateLimitShare.set({ tenant }, share);
    if (outcome === "success") this.lastSuccessAt.set({ tenant }, Date.now() / 1000);
  }

  skipped(tenant: string): void {
    this.executions.inc({ tenant, outcome: "skipped" });
  }

  couldNotRun(tenant: string): void {
    this.executions.inc({ tenant, outcome: "failed" });
  }

  verified(tenant: string, missing: number, at: number): void {
    this.verifyMissing.set({ tenant }, missing);
    this.verifiedAt.set({ tenant }, Math.floor(at / 1000));
  }

  deadLetters(tenant: string, pending: number): void {
    this.deadLettersPending.set({ tenant }, pending);
  }

  lastSuccess(tenant: string, at: number): void {
    this.lastSuccessAt.set({ tenant }, at / 1000);
  }

  tookOver(tenant: string): void {
    this.leaseTakeovers.inc({ tenant });
  }

  held(count: number): void {
    this.tenantsHeld.set(count);
  }

  roundCompleted(): void {
    this.leaseRound.set(Date.now() / 1000);
  }
}
