// Batches sent but not yet committed, in page order. A sink whose re-sends are idempotent (a
// cluster indexing by log_id) may have a few in flight to hide its latency; Logstash has one.
// Whatever the number, commits happen strictly in page order, and after a batch failed nothing
// behind it is committed: that would move the checkpoint past the failed one.

import type { DeliveryReport, PageBatch } from "../interfaces.ts";

interface Sent<B> {
  batch: B;
  report: Promise<DeliveryReport>;
}

export class InFlight<B extends PageBatch = PageBatch> {
  private readonly queue: Sent<B>[] = [];
  private readonly limit: number;
  private readonly commit: (batch: B, report: DeliveryReport) => Promise<void>;
  /** A send or commit failed: no later batch may be committed. */
  private failed = false;

  constructor(limit: number, commit: (batch: B, report: DeliveryReport) => Promise<void>) {
    this.limit = Math.max(1, limit);
    this.commit = commit;
  }

  /** Sends a batch, then commits the oldest ones while the window is full. */
  async add(batch: B, send: () => Promise<DeliveryReport>): Promise<void> {
    const report = send();
    // Awaited in order later; a rejection before then must not count as unhandled.
    report.catch(() => {});
    this.queue.push({ batch, report });
    while (this.queue.length >= this.limit) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.queue.shift() as Sent<B>;
    try {
      await this.commit(oldest.batch, await oldest.report);
    } catch (error) {
      this.failed = true;
      throw error;
    }
  }

  /** Commits every batch still in flight, in order (none after a failure). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.failed) await this.settleOldest();
  }

  /** Waits for the sends still in flight to end; their batches are not committed. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.queue.map((sent) => sent.report));
    this.queue.length = 0;
  }
}
