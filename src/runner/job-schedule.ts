// A job's schedule: SCHEDULE, unless a schedule was stored (the dashboard, `schedule set`), which
// then applies in every process that holds the job, followed without restart; `schedule reset`
// removes it. A stored schedule that is no longer valid is ignored with a warning.

import type { Logger } from "pino";
import type { JobStore } from "../interfaces.ts";
import { scheduleProblem } from "../settings-kit/schedule.ts";
import { storedSchedule, storeSchedule } from "./job.ts";
import { parseSchedule, type Schedule } from "./schedule.ts";

/** The stored schedule when it is still valid (an older version may have stored a bad one). */
export async function effectiveSchedule(
  store: JobStore,
  configured: string,
): Promise<{ expression: string; source: "setting" | "stored"; ignored: string | null }> {
  const stored = await storedSchedule(store);
  if (!stored) return { expression: configured, source: "setting", ignored: null };
  const problem = scheduleProblem(stored);
  if (problem === null) return { expression: stored, source: "stored", ignored: null };
  return {
    expression: configured,
    source: "setting",
    ignored: `the stored schedule "${stored.slice(0, 60)}" is not valid (${problem}); using SCHEDULE=${configured} ('schedule reset' removes it)`,
  };
}

export class JobSchedule {
  private schedule: Schedule;
  source: "setting" | "stored" = "setting";
  private readonly configured: string;
  private readonly store: JobStore;
  private readonly logger: Logger;
  private readonly tick: () => void;
  private running = false;
  private lastTickAt = Date.now();

  constructor(configured: string, store: JobStore, logger: Logger, tick: () => void) {
    this.configured = configured;
    this.store = store;
    this.logger = logger;
    this.tick = () => {
      this.lastTickAt = Date.now();
      tick();
    };
    this.schedule = parseSchedule(configured);
  }

  /** When the current period began: the last tick, or the start (epoch ms). */
  get periodStart(): number {
    return this.lastTickAt;
  }

  get expression(): string {
    return this.schedule.expression;
  }

  next(): string | null {
    return this.schedule.next()?.toISOString() ?? null;
  }

  async start(): Promise<void> {
    const effective = await effectiveSchedule(this.store, this.configured);
    if (effective.ignored) this.logger.warn(effective.ignored);
    this.running = true;
    this.lastTickAt = Date.now();
    this.apply(parseSchedule(effective.expression), effective.source, false);
  }

  /** Picks up a schedule changed by another process (the CLI, another replica's dashboard). */
  async follow(): Promise<void> {
    const effective = await effectiveSchedule(this.store, this.configured);
    if (effective.expression !== this.schedule.expression) {
      this.apply(parseSchedule(effective.expression), effective.source, true);
    }
  }

  /** Replaces the schedule without restart (validated by the caller); null goes back to SCHEDULE. */
  async change(expression: string | null): Promise<void> {
    const next = parseSchedule(expression ?? this.configured);
    await storeSchedule(this.store, expression);
    this.apply(next, expression === null ? "setting" : "stored", true);
  }

  private apply(next: Schedule, source: "setting" | "stored", log: boolean): void {
    this.schedule.stop();
    this.schedule = next;
    this.source = source;
    if (this.running) this.schedule.start(this.tick);
    if (log) {
      this.logger.info(
        { schedule: next.expression, next: this.next() },
        source === "setting" ? "schedule is SCHEDULE" : "schedule changed",
      );
    }
  }

  stop(): void {
    this.running = false;
    this.schedule.stop();
  }
}
