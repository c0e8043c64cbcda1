// The simulated tenant's Log Stream: a pusher that POSTs the tenant's new events to a payload URL
// as Auth0's custom webhook does (../shared/reference/log-streams-and-users.md §2.1-2.2,
// contracts.md §5, facts-sinks-tenants-intake.md §6): batches, the configured Authorization and
// Content-Type, 2xx is success, three retries then an error in the health (the last ten kept) and
// a re-drive later, suspension after failing for a period, at-least-once and unordered. For tests
// it can shuffle, send a batch twice, or never send one (the sweep must fill that gap), seeded.

import { request } from "undici";
import type { EventLog } from "./events.ts";
import { seededRandom } from "./faults.ts";
import { encodeStreamBody, streamElement } from "./stream-format.ts";
import {
  STREAM_DEFAULTS,
  type StreamCounters,
  type StreamHealthError,
  type StreamPusherOptions,
  type StreamStatus,
} from "./stream-options.ts";

export type {
  StreamCounters,
  StreamHealthError,
  StreamPusherOptions,
  StreamStatus,
} from "./stream-options.ts";

interface Batch {
  indexes: number[];
  redelivery: boolean;
}

const HEALTH_KEPT = 10;

/** A failed attempt: the receiver's answer (or none); always retried, as Auth0 does. */
class StreamDeliveryError extends Error {
  readonly retryable = true;
  readonly status: number | null;
  constructor(status: number | null, message: string) {
    super(message);
    this.status = status;
  }
}

export class StreamPusher {
  readonly counters: StreamCounters = {
    sentBatches: 0,
    sentEvents: 0,
    redelivered: 0,
    dropped: 0,
    droppedIds: [],
    failures: 0,
    errored: 0,
    lastError: null,
  };
  private readonly options: typeof STREAM_DEFAULTS & StreamPusherOptions;
  private readonly log: EventLog;
  /** One generator per use, so that timing (which answer comes first) changes none of them. */
  private readonly random: Record<"drop" | "shuffle" | "order" | "redeliver", () => number>;
  private currentStatus: StreamStatus;
  private readonly statusListeners = new Set<(status: StreamStatus) => void>();
  private readonly healthErrors: StreamHealthError[] = [];
  private pending: number[] = [];
  private readonly queue: Batch[] = [];
  private readonly erroredBatches: Batch[] = [];
  private readonly sending = new Set<Batch>();
  private consecutiveFailures = 0;
  private failingSince: number | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly redriveTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(log: EventLog, options: StreamPusherOptions) {
    this.options = { ...STREAM_DEFAULTS, ...options };
    if (this.options.format === "JSONOBJECT" && this.options.jsonObjectLayout === "element") {
      this.options.batchSize = 1;
    }
    this.log = log;
    const seed = this.options.seed;
    this.random = {
      drop: seededRandom(seed),
      shuffle: seededRandom(seed + 1),
      order: seededRandom(seed + 2),
      redeliver: seededRandom(seed + 3),
    };
    this.currentStatus = options.status ?? "active";
    if (options.from !== undefined) {
      for (let i = log.firstAfter(options.from); i < log.size; i++) this.pending.push(i);
      this.scheduleFlush();
    }
    this.unsubscribe = log.onAppend((index) => this.added(index));
    this.redriveTimer = setInterval(() => this.redrive(), this.options.redriveMs);
    this.redriveTimer.unref();
  }

  get status(): StreamStatus {
    return this.currentStatus;
  }

  /** Sets the status (the log-streams API's PATCH); listeners hear only real changes. */
  setStatus(status: StreamStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    if (status === "active") {
      // A restarted stream starts counting failures afresh and sends what it held back.
      this.consecutiveFailures = 0;
      this.failingSince = null;
      this.redrive();
    }
    for (const listener of this.statusListeners) listener(status);
  }

  pause(): void {
    this.setStatus("paused");
  }

  resume(): void {
    this.setStatus("active");
  }

  suspend(): void {
    this.setStatus("suspended");
  }

  /** Calls `listener` on each change of status; returns the unsubscribe. */
  onStatus(listener: (status: StreamStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** The last ten errors, oldest first, as Auth0's Health tab shows them. */
  get health(): StreamHealthError[] {
    return [...this.healthErrors];
  }

  /** Events not yet acknowledged and not dropped: pending, queued, in flight or errored. */
  get backlog(): number {
    const batched = [...this.queue, ...this.sending, ...this.erroredBatches]
      .filter((batch) => !batch.redelivery)
      .reduce((sum, batch) => sum + batch.indexes.length, 0);
    return this.pending.length + batched;
  }

  /**
   * Resolves when no request is in flight and, while active, nothing waits to be sent (so an
   * unreachable receiver keeps it waiting: pass a bound). Rejects after `timeoutMs`.
   */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting =
        this.pending.length + this.queue.length + this.erroredBatches.length > 0 &&
        this.currentStatus === "active";
      if (this.sending.size === 0 && !waiting) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the stream is not idle after ${timeoutMs} ms (${this.sending.size} in flight, ${this.backlog} events waiting)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops pushing: no new batch, requests in flight aborted. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.redriveTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.abort.abort();
    while (this.sending.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private added(index: number): void {
    this.pending.push(index);
    if (this.pending.length >= this.window()) this.cut();
    else this.scheduleFlush();
  }

  /** Shuffled, events are cut from a window of four batches, so they cross batch boundaries. */
  private window(): number {
    return this.options.shuffle ? this.options.batchSize * 4 : this.options.batchSize;
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.cut();
    }, this.options.flushMs);
  }

  /** Cuts the pending events into batches: some dropped, the rest queued. */
  private cut(): void {
    if (this.stopped || this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    if (this.options.shuffle) this.shuffleInPlace(events);
    for (let i = 0; i < events.length; i += this.options.batchSize) {
      const indexes = events.slice(i, i + this.options.batchSize);
      if (this.options.dropRate > 0 && this.random.drop() < this.options.dropRate) {
        this.counters.dropped++;
        for (const index of indexes) this.counters.droppedIds.push(this.log.idAt(index));
        continue;
      }
      this.queue.push({ indexes, redelivery: false });
    }
    this.pump();
  }

  private shuffleInPlace<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random.shuffle() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
  }

  private redrive(): void {
    if (this.stopped) return;
    this.queue.push(...this.erroredBatches.splice(0));
    this.pump();
  }

  /** Starts deliveries while the stream is active and below its concurrency. */
  private pump(): void {
    while (
      !this.stopped &&
      this.currentStatus === "active" &&
      this.sending.size < this.options.concurrency &&
      this.queue.length > 0
    ) {
      const at = this.options.shuffle ? Math.floor(this.random.order() * this.queue.length) : 0;
      const [batch] = this.queue.splice(at, 1) as [Batch];
      this.sending.add(batch);
      void this.deliver(batch).finally(() => {
        this.sending.delete(batch);
        this.pump();
      });
    }
  }

  /** One batch: the first attempt and up to `retries` more, then an error in the health. */
  private async deliver(batch: Batch): Promise<void> {
    const body = encodeStreamBody(
      batch.indexes.map((index) => streamElement(this.log.eventAt(index))),
      this.options.format,
      this.options.jsonObjectLayout,
    );
    let last: StreamDeliveryError | null = null;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (this.stopped) return;
      if (this.currentStatus !== "active") {
        this.queue.unshift(batch);
        return;
      }
      if (attempt > 0) await this.sleep(this.options.backoffMs * 2 ** (attempt - 1));
      try {
        await this.post(body);
        this.succeeded(batch);
        return;
      } catch (error) {
        if (this.stopped) return;
        last =
          error instanceof StreamDeliveryError
            ? error
            : new StreamDeliveryError(null, (error as Error).message);
        this.failed();
      }
    }
    const entry: StreamHealthError = {
      at: Date.now(),
      status: last?.status ?? null,
      message: last?.message ?? "not delivered",
      events: batch.indexes.length,
    };
    this.healthErrors.push(entry);
    if (this.healthErrors.length > HEALTH_KEPT) this.healthErrors.shift();
    this.counters.errored++;
    this.counters.lastError = entry;
    this.erroredBatches.push(batch);
  }

  private async post(body: string): Promise<void> {
    const response = await request(this.options.url, {
      method: "POST",
      headers: {
        ...this.options.headers,
        "content-type": this.options.contentType,
        ...(this.options.authorization === undefined
          ? {}
          : { authorization: this.options.authorization }),
      },
      body,
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]),
    });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw new StreamDeliveryError(
        response.statusCode,
        `HTTP ${response.statusCode}: ${text.slice(0, 200)}`,
      );
    }
  }

  private succeeded(batch: Batch): void {
    this.counters.sentBatches++;
    this.counters.sentEvents += batch.indexes.length;
    this.consecutiveFailures = 0;
    this.failingSince = null;
    if (
      !batch.redelivery &&
      this.options.redeliverRate > 0 &&
      this.random.redeliver() < this.options.redeliverRate
    ) {
      this.counters.redelivered++;
      this.queue.push({ indexes: batch.indexes, redelivery: true });
    }
  }

  /** A failed attempt; failing for the whole period (and N times in a row) suspends the stream. */
  private failed(): void {
    this.counters.failures++;
    this.consecutiveFailures++;
    const now = Date.now();
    this.failingSince ??= now;
    if (
      this.consecutiveFailures >= this.options.suspendAfterFailures &&
      now - this.failingSince >= this.options.suspendAfterMs
    ) {
      this.suspend();
    }
  }

  /** A backoff that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }
}

/** A stream of the tenant's events, pushing to `options.url`. */
export function startStreamPusher(
  source: { log: EventLog },
  options: StreamPusherOptions,
): StreamPusher {
  return new StreamPusher(source.log, options);
}
