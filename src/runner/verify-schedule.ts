// VERIFY_SCHEDULE: the service verifies the last VERIFY_WINDOW of a tenant it holds, as `verify`
// does (with VERIFY_REPAIR, as `verify --repair`). It runs beside the executions rather than in
// their turn (a day's verification on a small plan takes hours, and executions must not wait):
// both read through the job's one source, whose pacer keeps them together within the tenant's
// AUTH0_RATE_LIMIT_SHARE, and neither touches what the other does (verification moves no
// checkpoint, and only re-sends events before it). Only the lease holder runs it, one at a time;
// losing the lease stops it.

import type { Logger } from "pino";
import type { JobConfig } from "../config/types.ts";
import { describe } from "../errors.ts";
import type { JobStore, Notifier } from "../interfaces.ts";
import type { JobObserver } from "../ports/observers.ts";
import { durationText } from "../settings-kit/duration.ts";
import type { Job } from "./assemble.ts";
import { lastVerification } from "./job.ts";
import { parseSchedule, type Schedule } from "./schedule.ts";
import { runVerification, type VerificationResult } from "./verification.ts";
import { verifyPeriod } from "./verify-period.ts";

export interface VerifyScheduleDeps {
  config: JobConfig;
  store: JobStore;
  logger: Logger;
  observer: JobObserver;
  notifier: Notifier;
  /** The job's parts, shared with its executions. */
  job: () => Promise<Job>;
}

export class ScheduledVerification {
  private readonly deps: VerifyScheduleDeps;
  private schedule: Schedule | null = null;
  private current: AbortController | null = null;
  private running: Promise<VerificationResult | null> | null = null;
  private lost: AbortSignal | null = null;

  constructor(deps: VerifyScheduleDeps) {
    this.deps = deps;
  }

  /** Verifies on VERIFY_SCHEDULE until stop() or until `lost` (the lease) aborts. */
  start(lost: AbortSignal): void {
    const expression = this.deps.config.verify.schedule;
    if (expression === undefined) return;
    this.lost = lost;
    this.schedule = parseSchedule(expression);
    this.schedule.start(() => void this.run());
  }

  /** Stops the schedule and the verification under way; resolves once it ended. */
  async stop(): Promise<void> {
    this.schedule?.stop();
    this.schedule = null;
    this.current?.abort();
    await this.running;
  }

  /** When the next verification is due, or null without VERIFY_SCHEDULE. */
  next(): Date | null {
    return this.schedule?.next() ?? null;
  }

  /**
   * One verification now, unless one runs already (null then, or when it could not run: that is
   * logged, and the next tick tries again). Never rejects.
   */
  run(): Promise<VerificationResult | null> {
    if (this.current || this.lost?.aborted) return Promise.resolve(null);
    this.current = new AbortController();
    this.running = this.verify(this.current).finally(() => {
      this.current = null;
      this.running = null;
    });
    return this.running;
  }

  private async verify(stop: AbortController): Promise<VerificationResult | null> {
    const { config, store, logger } = this.deps;
    const signal = this.lost ? AbortSignal.any([stop.signal, this.lost]) : stop.signal;
    try {
      const period = verifyPeriod(
        { since: durationText(config.verify.windowMs) },
        config.auth0LogRetentionMs,
      );
      if ("problem" in period) throw new Error(period.problem);
      const before = await lastVerification(store).catch(() => null);
      const result = await runVerification({
        config,
        job: await this.deps.job(),
        store,
        period: { from: period.from, until: period.until },
        repair: config.verify.repair,
        signal,
      });
      this.deps.observer.verified(config.id, result.missing, Date.now());
      const fields = {
        runId: result.runId,
        atAuth0: result.found.totals.atAuth0,
        missing: result.missing,
        deadLettered: result.found.totals.deadLettered,
        repaired: result.repair?.sent ?? null,
      };
      if (result.missing === 0) logger.info(fields, "verified: nothing missing from the index");
      else {
        logger.warn(fields, `verified: ${result.missing} events missing from ${result.target}`);
        // Once per episode: not again while the next verifications still find some.
        if (!before || before.missing === 0) {
          this.deps.notifier.eventsMissing({
            missing: result.missing,
            from: result.found.start,
            until: result.found.until,
            repaired: result.repair?.sent ?? null,
            target: result.target,
            runId: result.runId,
          });
        }
      }
      return result;
    } catch (error) {
      if (!signal.aborted) logger.warn(`scheduled verification could not run: ${describe(error)}`);
      return null;
    }
  }
}
