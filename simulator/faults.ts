// Fault injection shared by the fakes: a queue ("the next N requests fail this way") and a seeded
// probability, so that fault runs are repeatable.

export interface FaultPlan<K extends string> {
  rate: number;
  kinds: K[];
  seed?: number;
}

/** Mulberry32: a small, fast, seedable generator; Math.random cannot be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults<K extends string> {
  private readonly queue: K[] = [];
  private plan: FaultPlan<K> | null = null;
  private random: () => number = Math.random;
  readonly injected = new Map<K, number>();

  set(plan: FaultPlan<K> | null): void {
    this.plan = plan;
    this.random = seededRandom(plan?.seed ?? 1);
  }

  failNext(kind: K, count = 1): void {
    for (let i = 0; i < count; i++) this.queue.push(kind);
  }

  /** Forgets queued faults and the probability plan. */
  clear(): void {
    this.queue.length = 0;
    this.set(null);
  }

  /** The fault for this request, if any, counted. */
  next(): K | null {
    let kind: K | null = this.queue.shift() ?? null;
    if (
      kind === null &&
      this.plan &&
      this.plan.kinds.length > 0 &&
      this.random() < this.plan.rate
    ) {
      kind = this.plan.kinds[Math.floor(this.random() * this.plan.kinds.length)] ?? null;
    }
    if (kind !== null) this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    return kind;
  }

  get total(): number {
    let sum = 0;
    for (const count of this.injected.values()) sum += count;
    return sum;
  }
}
