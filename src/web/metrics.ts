// Prometheus metrics of the service, in a registry of its own (no global state between tests).

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type ExecutionStats, NO_COUNTS } from "../interfaces.ts";
import type { Progress } from "../runner/execution.ts";

export class Metrics {
  readonly registry = new Registry();
  readonly eventsRead = new Counter({
    name: "a2l_events_read_total",
    help: "Log events read from Auth0",
    registers: [this.registry],
  });
  readonly eventsSent = new Counter({
    name: "a2l_events_sent_total",
    help: "Log events acknowledged by the sink",
    registers: [this.registry],
  });
  readonly eventsFiltered = new Counter({
    name: "a2l_events_filtered_total",
    help: "Log events left out by LOG_TYPES / LOG_LEVEL",
    registers: [this.registry],
  });
  readonly eventsRejected = new Counter({
    name: "a2l_events_rejected_total",
    help: "Log events the sink refused for good, kept as dead letters",
    registers: [this.registry],
  });
  readonly deadLetters = new Gauge({
    name: "a2l_dead_letters",
    help: "Dead letters waiting to be re-sent (dead-letters retry)",
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: "a2l_batches_total",
    help: "Batches acknowledged and committed",
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: "a2l_retries_total",
    help: "Retried requests, by side",
    labelNames: ["side"],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: "a2l_rate_limited_total",
    help: "429 answers, by side",
    labelNames: ["side"],
    registers: [this.registry],
  });
  readonly executions = new Counter({
    name: "a2l_executions_total",
    help: "Executions, by outcome",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: "a2l_execution_duration_seconds",
    help: "Duration of executions",
    labelNames: ["outcome"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: "a2l_checkpoint_lag_seconds",
    help: "How far the checkpoint is behind now",
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: "a2l_last_success_timestamp_seconds",
    help: "When an execution last caught up",
    registers: [this.registry],
  });
  private last: Progress | null = null;

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Adds what an execution did since its previous progress report. */
  progress(progress: Progress): void {
    const last = this.last ?? NO_COUNTS;
    this.eventsRead.inc(progress.read - last.read);
    this.eventsSent.inc(progress.sent - last.sent);
    this.eventsFiltered.inc(progress.filtered - last.filtered);
    this.eventsRejected.inc(progress.rejected - last.rejected);
    this.batches.inc(progress.batches - last.batches);
    if (progress.lagMs !== null) this.lag.set(progress.lagMs / 1000);
    this.last = progress;
  }

  executionStarted(): void {
    this.last = null;
  }

  /** `sink` names the sink's side in labels: logstash or elasticsearch. */
  executionEnded(
    outcome: string,
    durationMs: number,
    stats: ExecutionStats,
    lagMs: number | null,
    sink: string,
  ): void {
    this.executions.inc({ outcome });
    this.duration.observe({ outcome }, durationMs / 1000);
    for (const side of ["source", "sink"] as const) {
      const label = { side: side === "source" ? "auth0" : sink };
      this.retries.inc(label, stats.retries[side]);
      this.rateLimited.inc(label, stats.rateLimited[side]);
    }
    if (lagMs !== null) this.lag.set(lagMs / 1000);
    if (outcome === "success") this.lastSuccess.set(Date.now() / 1000);
    this.last = null;
  }
}
