// The tenants that accept pushes, each with its own sink, filters and shaper, and the bounds of a
// push: its time, and how many of a tenant's are delivered at once. Every replica serves every
// tenant's pushes, whoever holds the tenant's lease: a push needs no checkpoint, only the sink and
// the shared record of delivered ids, so its parts are built here, apart from the job's runner.

import type { Logger } from "pino";
import type { JobConfig } from "../config/types.ts";
import { AbortedError, describe, ExporterError } from "../errors.ts";
import type { JobId, Store } from "../interfaces.ts";
import { makeFilter } from "../pipeline/filter.ts";
import { makeShaper } from "../pipeline/shape.ts";
import { ecsTarget } from "../runner/assemble.ts";
import { isEnabled } from "../runner/job.ts";
import { openSink } from "../sinks/index.ts";
import { newBudget } from "../util/retry.ts";
import { mask } from "../util/secrets.ts";
import { deliverPush, type PushCounts, type PushTarget } from "./push.ts";
import type { StreamBody } from "./stream-body.ts";
import { sameToken } from "./token.ts";

/**
 * The longest a push is held before it is answered. Auth0 does not say how long it waits; Elastic's
 * receiver and most webhooks time out at 10 s or more, so an answer within 5 s arrives in time.
 */
export const PUSH_DEADLINE_MS = 5_000;
/** Of which the sink may take this much (retries included); the store's record gets the rest. */
export const PUSH_SINK_MS = 4_000;
/** Pushes of one tenant delivered at once; more are answered 503 at once (Auth0 sends again). */
export const PUSHES_AT_ONCE = 4;
/** What a 503 asks the sender to wait, in seconds. */
export const RETRY_AFTER_S = 10;

/** The push was not accepted: answered with `status` (and Retry-After when 503). */
export class PushRefused extends ExporterError {
  constructor(status: 401 | 503, message: string, cause?: unknown) {
    super(message, { retryable: status === 503, status, cause });
  }
}

interface Tenant {
  config: JobConfig;
  token: string;
  target: Promise<PushTarget> | null;
  inFlight: number;
}

/** What the intake reports each accepted push to (the metrics). */
export interface PushObserver {
  pushed(job: JobId, counts: PushCounts, at: number): void;
}

export class Intake {
  private tenants = new Map<JobId, Tenant>();
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly observer: PushObserver | undefined;
  /** The tenant `POST /log-stream` means: the one the environment describes. */
  readonly single: boolean;

  constructor(
    jobs: JobConfig[],
    deps: { store: Store; logger: Logger; observer?: PushObserver; single: boolean },
  ) {
    this.store = deps.store;
    this.logger = deps.logger;
    this.observer = deps.observer;
    this.single = deps.single;
    this.update(jobs);
  }

  /** The tenants after a reload: new ones accept pushes, removed ones stop, changed ones are rebuilt. */
  update(jobs: JobConfig[]): void {
    const next = new Map<JobId, Tenant>();
    for (const config of jobs) {
      if (!config.logStream) continue;
      const before = this.tenants.get(config.id);
      const same = before && JSON.stringify(before.config) === JSON.stringify(config);
      next.set(
        config.id,
        same ? before : { config, token: config.logStream.token, target: null, inFlight: 0 },
      );
    }
    for (const [id, tenant] of this.tenants) {
      if (next.get(id) !== tenant) void this.closeTarget(tenant);
    }
    this.tenants = next;
  }

  /**
   * The tenant a push is for, when its Authorization is that tenant's token; PushRefused(401)
   * otherwise, without saying which of the two was wrong.
   */
  authorize(tenantId: JobId | undefined, authorization: string | undefined): JobId {
    const id = tenantId ?? (this.single ? "default" : undefined);
    const tenant = id === undefined ? undefined : this.tenants.get(id);
    // Compared even for an unknown tenant, so that the time taken does not tell which it was.
    const matches = sameToken(authorization ?? "", tenant?.token ?? "");
    if (!tenant || !matches || id === undefined) {
      const why =
        tenantId === undefined && !this.single
          ? "POST /log-stream/<tenant id> names the tenant when there is a tenants file"
          : !tenant
            ? `no tenant ${JSON.stringify(mask(String(id)).slice(0, 80))} accepts pushes (LOG_STREAM_TOKEN)`
            : authorization === undefined
              ? "no Authorization header"
              : "the Authorization header is not the tenant's LOG_STREAM_TOKEN";
      throw new PushRefused(401, why);
    }
    return id;
  }

  /** Delivers one push of `id`'s (authorized), within PUSH_DEADLINE_MS. */
  async accept(id: JobId, body: StreamBody): Promise<PushCounts> {
    const tenant = this.tenants.get(id);
    if (!tenant) throw new PushRefused(503, "the tenant was removed meanwhile");
    if (tenant.inFlight >= PUSHES_AT_ONCE) {
      throw new PushRefused(503, `${PUSHES_AT_ONCE} pushes of this tenant are being delivered`);
    }
    tenant.inFlight++;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new AbortedError()), PUSH_SINK_MS);
    try {
      const work = this.deliver(tenant, body, deadline.signal);
      const counts = await withinDeadline(work, PUSH_DEADLINE_MS);
      this.observer?.pushed(id, counts, Date.now());
      return counts;
    } catch (error) {
      if (error instanceof PushRefused) throw error;
      const why = deadline.signal.aborted
        ? `the sink did not acknowledge within ${PUSH_SINK_MS / 1000}s`
        : describe(error);
      throw new PushRefused(503, mask(why), error);
    } finally {
      clearTimeout(timer);
      tenant.inFlight--;
    }
  }

  private async deliver(tenant: Tenant, body: StreamBody, signal: AbortSignal) {
    // A disabled tenant exports nothing, pushed or pulled; its stream is told to send again later
    // (Auth0 keeps re-driving, and pauses the stream after 7 days): nothing is dropped.
    if (!(await isEnabled(this.store.forJob(tenant.config.id)))) {
      throw new PushRefused(503, "the tenant is disabled ('enable' exports it again)");
    }
    tenant.target ??= this.openTarget(tenant.config);
    const target = await tenant.target.catch((error: unknown) => {
      tenant.target = null;
      throw error;
    });
    return deliverPush(target, body, {
      signal,
      budget: newBudget(PUSH_SINK_MS),
      stats: { retries: { source: 0, sink: 0 }, rateLimited: { source: 0, sink: 0 } },
    });
  }

  private async openTarget(config: JobConfig): Promise<PushTarget> {
    const sink = await openSink(config, { logger: this.logger.child({ tenant: config.id }) });
    return {
      sink,
      keep: makeFilter({ logTypes: config.logTypes, logLevel: config.logLevel }),
      shape: makeShaper({
        format: config.documentFormat,
        keepId: config.keepId,
        ecs: ecsTarget(config),
      }),
      delivered: this.store.forJob(config.id).delivered,
    };
  }

  private async closeTarget(tenant: Tenant): Promise<void> {
    const target = await tenant.target?.catch(() => null);
    await target?.sink.close().catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([...this.tenants.values()].map((tenant) => this.closeTarget(tenant)));
    this.tenants.clear();
  }
}

/** The work's result, or a failure once `ms` passed (the work goes on, its outcome unheard). */
function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PushRefused(503, `not accounted for within ${ms / 1000}s`)),
      ms,
    );
  });
  work.catch(() => {});
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
