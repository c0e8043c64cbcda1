// Ids being delivered right now in this process, so that two copies of one event on their way at
// the same instant (a push and the sweep, or two pushes) are sent once: the second waits until the
// first is recorded, then finds it in the record. Claims are all or nothing: a waiter holds none,
// so waiting can never close a cycle.

import { AbortedError } from "../errors.ts";

export class IdClaims {
  private readonly held = new Set<string>();
  private waiters: (() => void)[] = [];

  /** Holds `ids` once none is held; resolves with what releases them (safe to call twice). */
  async claim(ids: readonly string[], signal?: AbortSignal): Promise<() => void> {
    while (ids.some((id) => this.held.has(id))) {
      if (signal?.aborted) throw new AbortedError();
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal?.removeEventListener("abort", wake);
          resolve();
        };
        this.waiters.push(wake);
        signal?.addEventListener("abort", wake, { once: true });
      });
    }
    for (const id of ids) this.held.add(id);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) this.held.delete(id);
      const waiting = this.waiters;
      this.waiters = [];
      for (const wake of waiting) wake();
    };
  }

  /** Ids held now (tests). */
  get size(): number {
    return this.held.size;
  }
}
