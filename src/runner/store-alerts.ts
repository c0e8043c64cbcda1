// The store's outages as the supervisor tells them: with the leases lapsing, no execution may be
// left to fail and say so, so a store unreachable for STORE_ALERT_AFTER_MS is told (Slack) once
// per destination, and its return likewise.

import type { Logger } from "pino";
import type { Notifier } from "../interfaces.ts";

/** How long the store may be unreachable before Slack is told (a blip is not worth a message). */
export const STORE_ALERT_AFTER_MS = 10_000;

export class StoreAlerts {
  private readonly logger: Logger;
  /** The notifiers of this process's jobs, now. */
  private readonly notifiers: () => Notifier[];
  private downSince: number | null = null;
  private alerted = false;

  constructor(logger: Logger, notifiers: () => Notifier[]) {
    this.logger = logger;
    this.notifiers = notifiers;
  }

  missed(error: string): void {
    this.downSince ??= Date.now();
    if (this.alerted || Date.now() - this.downSince < STORE_ALERT_AFTER_MS) return;
    this.alerted = true;
    for (const notifier of this.destinations()) notifier.storeStatus({ down: true, error });
  }

  reached(): void {
    const since = this.downSince;
    this.downSince = null;
    if (!this.alerted || since === null) return;
    this.alerted = false;
    const forMs = Date.now() - since;
    this.logger.info({ downMs: forMs }, "the store is reachable again");
    for (const notifier of this.destinations()) notifier.storeStatus({ down: false, forMs });
  }

  /** One notifier per destination among this process's jobs. */
  private destinations(): Notifier[] {
    const byChannel = new Map<string, Notifier>();
    for (const notifier of this.notifiers()) {
      if (notifier.channel !== null && !byChannel.has(notifier.channel))
        byChannel.set(notifier.channel, notifier);
    }
    return [...byChannel.values()];
  }
}
