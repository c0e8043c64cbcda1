// Reads pages ahead of the sender, a bounded number at a time, so that reading the next page
// overlaps sending the current one without either waiting on the other in lockstep.

import { AbortedError } from "../errors.ts";
import type { Page, ReadContext, Source } from "../interfaces.ts";

export class ReadAhead {
  private readonly queue: Page[] = [];
  private readonly limit: number;
  private readonly source: Source;
  private readonly stop: AbortSignal | undefined;
  private readonly context: ReadContext;
  private readonly controller = new AbortController();
  private failure: { error: unknown } | null = null;
  private ended = false;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;

  constructor(
    source: Source,
    firstUrl: string,
    options: { limit: number; stop?: AbortSignal | undefined; context: ReadContext },
  ) {
    this.source = source;
    this.limit = options.limit;
    this.stop = options.stop;
    this.context = options.context;
    void this.run(firstUrl);
  }

  private async run(firstUrl: string): Promise<void> {
    const signal = this.stop
      ? AbortSignal.any([this.stop, this.controller.signal])
      : this.controller.signal;
    let url = firstUrl;
    try {
      for (;;) {
        while (this.queue.length >= this.limit && !signal.aborted) {
          await new Promise<void>((resolve) => {
            this.wakeProducer = resolve;
          });
        }
        if (signal.aborted) throw new AbortedError();
        const page = await this.source.read(url, { ...this.context, signal });
        this.queue.push(page);
        this.wakeConsumer?.();
        if (page.caughtUp || page.next === null) return;
        url = page.next;
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.ended = true;
      this.wakeConsumer?.();
    }
  }

  /** The next page in order. A read failure is thrown once the pages read before it are taken. */
  async next(): Promise<Page> {
    for (;;) {
      // A stop means: no further batches, not even those already read.
      if (this.stop?.aborted) throw new AbortedError();
      const page = this.queue.shift();
      if (page) {
        this.wakeProducer?.();
        return page;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) throw new Error("the reader ended without a last page");
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
  }

  close(): void {
    this.controller.abort();
    this.wakeProducer?.();
  }
}
