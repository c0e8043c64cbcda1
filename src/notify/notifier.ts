// What the service tells Slack: failures (once per cause, then reminders), recoveries, successes
// when asked, and a daily report. The alert state is kept in the store so a restart does not
// post the same alert again.

import { createHash } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { timeOfCheckpoint } from "../auth0/checkpoint.ts";
import type { JobSettings } from "../config/types.ts";
import { describe } from "../errors.ts";
import {
  type ExecutionEnd,
  isExecution,
  type JobStore,
  type LogStreamChange,
  type MissingEvents,
  type Notifier,
  type RunRecord,
} from "../interfaces.ts";
import { countsText } from "../util/counts-text.ts";
import { duration } from "../util/duration-text.ts";
import { runWarning } from "../util/run-warnings.ts";
import { type AlertState, causeOf, decide, initialAlertState } from "./alerts.ts";
import { type Field, layout, md, SlackClient } from "./slack.ts";

const ALERT_STATE = "alert_state";
const WARNING_STATE = "warning_state";

export class NullNotifier implements Notifier {
  readonly channel = null;
  async executionEnded(): Promise<void> {}
  async dailyReport(): Promise<void> {}
  storeStatus(): void {}
  logStreamChanged(): void {}
  eventsMissing(): void {}
  async idle(): Promise<void> {}
}

function runFields(run: RunRecord | null): Field[] {
  if (!run) return [];
  const fields: Field[] = [
    { label: "Run", value: `#${run.id} (${run.trigger})` },
    { label: "Counts", value: countsText(run) },
    { label: "Started", value: run.startedAt },
    { label: "Ended", value: run.endedAt ?? "—" },
  ];
  if (run.lastCheckpoint) {
    const time = timeOfCheckpoint(run.lastCheckpoint);
    fields.push({
      label: "Checkpoint",
      value: md`\`${run.lastCheckpoint}\`${time ? ` (${time.toISOString()})` : ""}`,
    });
  }
  if (run.retries > 0) fields.push({ label: "Retries", value: String(run.retries) });
  for (const warning of run.warnings.slice(0, 3)) fields.push({ label: "Warning", value: warning });
  return fields;
}

export class SlackNotifier implements Notifier {
  private readonly client: SlackClient;
  private readonly config: JobSettings;
  private readonly store: JobStore;
  private known: AlertState | null = null;
  /** The store could not take the latest state: this process's copy is the newer one. */
  private unsaved = false;
  /** This notifier posted that the store is unreachable, and owes word of its return. */
  private toldStoreDown = false;
  private readonly logger: Logger;

  readonly channel: string;

  constructor(config: JobSettings, store: JobStore, logger: Logger, webhookUrl: string) {
    this.client = new SlackClient(webhookUrl, logger);
    this.channel = createHash("sha256").update(webhookUrl).digest("hex").slice(0, 16);
    this.config = config;
    this.store = store;
    this.logger = logger;
  }

  /** Messages name the tenant, unless the deployment has just the one from the environment. */
  private title(text: string): string {
    const tenant = this.store.job;
    return tenant === "default" ? text : `${text} (tenant ${tenant})`;
  }

  /**
   * The alert state: the store's, so that a restart (or another replica taking the tenant over)
   * does not post the same alert again; this process's own copy while the store cannot be read or
   * written, so that a database outage is one alert, not one per execution, and its end is told.
   */
  private async state(): Promise<AlertState> {
    try {
      if (this.unsaved && this.known) return this.known;
      const raw = await this.store.state.get(ALERT_STATE);
      return raw ? (JSON.parse(raw) as AlertState) : initialAlertState;
    } catch {
      return this.known ?? initialAlertState;
    }
  }

  async executionEnded(end: ExecutionEnd): Promise<void> {
    try {
      const { decision, state } = decide(await this.state(), end, Date.now(), {
        reminderMs: this.config.slack.reminderMs,
        sendSuccess: this.config.slack.sendSuccess,
        successSince: end.successSince,
      });
      this.known = state;
      this.unsaved = await this.store.state.set(ALERT_STATE, JSON.stringify(state)).then(
        () => false,
        () => true,
      );
      // A failure message already carries the run's warnings; otherwise they get their own.
      if (end.ok && decision !== "success") await this.warnings(end);
      if (decision === null) return;
      const replay = end.run?.lastCheckpoint;
      const fields = runFields(end.run);
      if (decision === "failure" || decision === "reminder") {
        const since = state.failingSince
          ? ` since ${new Date(state.failingSince).toISOString()}`
          : "";
        const title =
          decision === "failure"
            ? "Auth0 log export failed"
            : `Auth0 log export still failing (${state.failures} executions)`;
        // The error quotes upstream answers (a cluster's reason, a refused value): `md` escapes it.
        const text = md`${end.error ?? "unknown error"}\nNothing was skipped: the next execution resumes at the checkpoint${replay ? md` \`${replay}\`` : ""}${since}.`;
        this.client.post(layout(this.title(title), text, fields));
      } else if (decision === "recovered") {
        this.client.post(
          layout(
            this.title("Auth0 log export recovered"),
            "The export is working again; nothing was skipped.",
            fields,
          ),
        );
      } else {
        this.client.post(layout(this.title("Auth0 log export succeeded"), "Caught up.", fields));
      }
    } catch (error) {
      this.logger.warn(`Slack notification skipped: ${describe(error)}`);
    }
  }

  storeStatus(change: { down: true; error: string } | { down: false; forMs: number }): void {
    // A failed execution already said the store was down, and its recovery will be told: one
    // outage, one alert. Otherwise (no execution ran, the lease lapsed) this is the only word.
    if (change.down) {
      this.toldStoreDown = !this.known?.failingCause;
      if (!this.toldStoreDown) return;
    } else if (!this.toldStoreDown) {
      return;
    }
    const where = `${hostname()} (pid ${process.pid})`;
    this.client.post(
      change.down
        ? layout(
            "Auth0 log export stopped: the store is unreachable",
            `${change.error}\nThe exporter on ${where} exports nothing until it is back (nothing is skipped: each tenant resumes at its checkpoint).`,
            [],
          )
        : layout(
            "Auth0 log export: the store is reachable again",
            `After ${duration(change.forMs)}, the exporter on ${where} exports again; nothing was skipped.`,
            [],
          ),
    );
  }

  eventsMissing(found: MissingEvents): void {
    const repaired =
      found.repaired === null
        ? "`verify --repair` (or VERIFY_REPAIR=true) re-sends them."
        : `${found.repaired} were re-sent; these are still missing.`;
    this.client.post(
      layout(
        this.title("Auth0 log export: events missing from the index"),
        md`${String(found.missing)} events of ${found.from} to ${found.until} are in Auth0 but not in ${found.target} (run #${String(found.runId)}). ${repaired}`,
        [],
      ),
    );
  }

  logStreamChanged(change: LogStreamChange): void {
    if (change.active) {
      this.client.post(
        layout(
          this.title("Auth0 Log Stream active again"),
          md`The Log Stream \`${change.id}\` is active again after ${duration(change.forMs)}: events arrive within seconds; the sweep filled what it missed.`,
          [],
        ),
      );
      return;
    }
    const title = change.resumed
      ? `Auth0 Log Stream was ${change.status}: resumed`
      : `Auth0 Log Stream ${change.status}`;
    this.client.post(
      layout(
        this.title(title),
        md`${change.warning}\nNothing is lost while the sweep runs: it reads every event from the checkpoint.`,
        [],
      ),
    );
  }

  /** Posts the run's warnings whose cause was not posted within ALERT_REMINDER. */
  private async warnings(end: ExecutionEnd): Promise<void> {
    const warnings = end.run?.warnings ?? [];
    if (warnings.length === 0) return;
    const raw = await this.store.state.get(WARNING_STATE).catch(() => null);
    const posted = (raw ? JSON.parse(raw) : {}) as Record<string, number>;
    const now = Date.now();
    const fresh = warnings.filter(
      (w) => now - (posted[causeOf(w)] ?? 0) >= this.config.slack.reminderMs,
    );
    if (fresh.length === 0) return;
    for (const warning of fresh) posted[causeOf(warning)] = now;
    await this.store.state.set(WARNING_STATE, JSON.stringify(posted)).catch(() => {});
    const typed = fresh.map(runWarning);
    const refused = typed.filter((w) => w.kind === "dead-letters").map((w) => w.text);
    // The Log Stream's are told once per episode instead (logStreamChanged).
    const others = typed.filter((w) => w.kind === "other").map((w) => w.text);
    if (refused.length > 0) {
      const text = md`${refused.join("\n")}\nNothing was lost: each is kept with the reason. Fix the cause (often: run setup), then re-send them with \`dead-letters retry --all\` or the dashboard's Dead letters page.`;
      this.client.post(
        layout(this.title("Auth0 log export: documents refused"), text, runFields(end.run)),
      );
    }
    if (others.length > 0) {
      this.client.post(
        layout(this.title("Auth0 log export: warning"), others.join("\n"), runFields(end.run)),
      );
    }
  }

  async dailyReport(): Promise<void> {
    try {
      const since = new Date(Date.now() - 86_400_000).toISOString();
      const runs = await this.store.runs.list({ since, limit: 10_000 });
      const sent = runs.reduce((sum, run) => sum + run.sent, 0);
      const failures = runs.filter((run) => isExecution(run) && run.outcome === "failed").length;
      const warnings = runs.reduce((sum, run) => sum + run.warnings.length, 0);
      const checkpoint = (await this.store.checkpoints.get()).checkpoint;
      const time = checkpoint ? timeOfCheckpoint(checkpoint) : null;
      this.client.post(
        layout(
          this.title("Auth0 log export: daily report"),
          `Last 24 hours: ${runs.filter(isExecution).length} executions.`,
          [
            { label: "Logs exported", value: String(sent) },
            { label: "Failed executions", value: String(failures) },
            { label: "Warnings", value: String(warnings) },
            { label: "Checkpoint", value: checkpoint ? md`\`${checkpoint}\`` : "none yet" },
            { label: "Lag", value: time ? duration(Date.now() - time.getTime()) : "—" },
          ],
        ),
      );
    } catch (error) {
      this.logger.warn(`daily report skipped: ${describe(error)}`);
    }
  }

  idle(): Promise<void> {
    return this.client.idle();
  }
}
