import { checkpointAt } from "../../auth0/checkpoint.ts";
import { LogStreamsClient } from "../../auth0/log-streams.ts";
import type { JobConfig } from "../../config/types.ts";
import { describe } from "../../errors.ts";
import type { LogEvent, Store } from "../../interfaces.ts";
import { assembleJob } from "../../runner/assemble.ts";
import { bucketRecord, type RecordedBucket } from "../../runner/job.ts";
import { newStats } from "../../runner/once.ts";
import { sinkModule } from "../../sinks/index.ts";
import { newBudget } from "../../util/retry.ts";
import { mask } from "../../util/secrets.ts";
import {
  type Command,
  chooseJob,
  EXIT,
  type Io,
  loadSettings,
  loggerFor,
  TENANT_HELP,
  TENANT_OPTION,
  withStore,
} from "../command.ts";
import { memoryTokens } from "./setup-log-stream.ts";
import { bucketText } from "./status.ts";

/** One line of the report: a step that passed or failed, or a warning. */
export interface CheckStep {
  tenant: string | null;
  step: string;
  result: "ok" | "fail" | "warn";
  detail: string | null;
}

/** Where the steps go: printed as they come, or kept for one JSON document (--json). */
export class CheckReport {
  readonly steps: CheckStep[] = [];
  private readonly out: Io["stdout"] | null;
  constructor(out: Io["stdout"] | null) {
    this.out = out;
  }

  add(tenant: string | null, result: CheckStep["result"], step: string, detail?: string): void {
    const masked = detail === undefined ? null : mask(detail);
    this.steps.push({ tenant, step, result, detail: masked });
    if (this.out === null) return;
    const prefix = tenant === null ? "" : `[${tenant}] `;
    const line =
      result === "ok"
        ? `ok    ${step}${masked ? ` (${masked})` : ""}`
        : result === "fail"
          ? `FAIL  ${step}: ${masked}`
          : `WARN  ${masked}`;
    this.out.write(`${prefix}${line}\n`);
  }
}

/** Every step for one tenant, each reported as ok or FAIL with the reason; true when all were ok. */
async function checkJob(
  config: JobConfig,
  store: Store,
  io: Io,
  report: CheckReport,
  named: boolean,
) {
  const jobStore = store.forJob(config.id);
  const tenant = named ? config.id : null;
  const warn = (step: string, text: string) => report.add(tenant, "warn", step, text);
  const job = await assembleJob(config, {
    store: jobStore,
    logger: loggerFor({ exporterLogLevel: "silent" }, io),
  });
  report.add(tenant, "ok", "settings", `Auth0 ${config.auth0.origin}, ${job.sink.info.target}`);
  for (const warning of config.warnings) warn("settings", warning);
  // check should answer quickly: a short retry budget, so a dead peer is reported, not waited on.
  const context = { budget: newBudget(Math.min(config.retryMaxTimeMs, 5_000)), stats: newStats() };
  const step = async (name: string, work: () => Promise<string | undefined>) => {
    try {
      report.add(tenant, "ok", name, await work());
      return true;
    } catch (error) {
      report.add(tenant, "fail", name, describe(error));
      return false;
    }
  };
  try {
    const ok = await step("store", async () => {
      const state = await jobStore.checkpoints.get();
      return state.checkpoint ? `checkpoint ${state.checkpoint}` : "no checkpoint yet";
    });
    // Always a new token: a cached one would pass with a wrong or rotated secret for a day.
    const token = await step("Auth0 token", async () => {
      await job.source.authenticate(context);
      return "a new token issued for the configured AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET, and cached";
    });
    let logs = false;
    let rate: number | null = null;
    if (token) {
      logs = await step("Auth0 logs (one page)", async () => {
        const state = await jobStore.checkpoints.get();
        const from =
          state.checkpoint ?? checkpointAt(new Date(Date.now() - config.initialLookbackMs));
        const page = await job.source.read(job.source.firstRead(from), context);
        rate = eventsPerMinute(page.events, page.next !== null);
        // A page as the export reads it (BATCH_SIZE): its dates tell the tenant's event rate.
        return page.caughtUp
          ? "no event after the checkpoint"
          : `read ${page.events.length} events`;
      });
    }
    const seen = job.source.pacer.observed();
    if (seen) {
      const bucket = bucketRecord(seen, config.rateLimitShare, config.batchSize);
      report.add(tenant, "ok", "Auth0 rate limit", bucketText(bucket));
      const warning = ceilingWarning(bucket, rate);
      if (warning) warn("Auth0 rate limit", warning);
    }
    const module = sinkModule(config.sink);
    const name = module.label;
    // A sink may also say what it could not verify (a privilege the user lacks by design): WARN
    // lines, not a failure.
    let warnings: string[] = [];
    const sink = await step(name, async () => {
      if (module.verify === undefined) return job.sink.check(context);
      const found = await module.verify(job.sink, context);
      warnings = found.warnings;
      return found.detail;
    });
    for (const warning of warnings) warn(name, `${name}: ${warning}`);
    const stream = config.logStream ? await checkLogStream(config, warn, step) : true;
    return ok && token && logs && sink && stream;
  } finally {
    await job.close();
  }
}

/**
 * The tenant's Log Stream, as Auth0 has it (LOG_STREAM_ID, scope read:log_streams): FAIL when it
 * cannot be read or sends another Authorization than LOG_STREAM_TOKEN (every push would get 401);
 * WARN when it is not active (the sweep still exports everything, later) or not watched at all.
 */
async function checkLogStream(
  config: JobConfig,
  warn: (step: string, text: string) => void,
  step: (name: string, work: () => Promise<string | undefined>) => Promise<boolean>,
): Promise<boolean> {
  const stream = config.logStream;
  if (!stream) return true;
  if (!stream.id) {
    warn(
      "Log Stream",
      "Log Stream: LOG_STREAM_TOKEN is set but LOG_STREAM_ID is not: the stream's status is not watched ('setup --log-stream URL' prints its id)",
    );
    return true;
  }
  const id = stream.id;
  const client = new LogStreamsClient({
    ...config.auth0,
    store: memoryTokens(),
    requestTimeoutMs: Math.min(config.requestTimeoutMs, 10_000),
  });
  let status: string | null = null;
  try {
    const ok = await step("Log Stream", async () => {
      const found = await client.get(id);
      const sent = found.sink?.httpAuthorization;
      if (sent !== undefined && sent !== stream.token) {
        throw new Error(
          `${id} sends an Authorization that is not LOG_STREAM_TOKEN: every push gets 401 ('setup --log-stream URL' sets it)`,
        );
      }
      status = found.status;
      const endpoint = found.sink?.httpEndpoint;
      return `${id}, ${found.status}${endpoint ? `, sends to ${endpoint.slice(0, 200)}` : ""}`;
    });
    if (status !== null && status !== "active") {
      warn(
        "Log Stream",
        `Log Stream: ${id} is ${status}: nothing is pushed; the sweep exports every event on SCHEDULE meanwhile${config.logStream?.resume ? " and sets it active again (LOG_STREAM_RESUME)" : " (LOG_STREAM_RESUME=true sets it active again)"}`,
      );
    }
    return ok;
  } finally {
    await client.close();
  }
}

/**
 * The tenant's event rate as a page of its log shows it, per minute: over the page's span when
 * more follows (a full page), else over the time since its first event (all there is since); null
 * when the page says too little.
 */
export function eventsPerMinute(
  events: readonly LogEvent[],
  more: boolean,
  now = Date.now(),
): number | null {
  const dates = events.map((e) => Date.parse(String(e.date))).filter(Number.isFinite);
  if (dates.length < 2) return null;
  const first = Math.min(...dates);
  const span = (more ? Math.max(...dates) : now) - first;
  return span > 0 ? ((more ? dates.length - 1 : dates.length) * 60_000) / span : null;
}

/** A warning when the share's ceiling is under the tenant's event rate: it would never catch up. */
export function ceilingWarning(bucket: RecordedBucket, rate: number | null): string | null {
  if (rate === null || bucket.ceilingPerMinute === null || bucket.ceilingPerMinute >= rate) {
    return null;
  }
  return `the rate limit's share allows at most ${bucket.ceilingPerMinute} events/min, under the tenant's recent ${Math.round(rate)} events/min: the export would fall further behind; raise AUTH0_RATE_LIMIT_SHARE (now ${Math.round(bucket.share * 100)} %) or add a Log Stream`;
}

export const check: Command = {
  name: "check",
  summary: "Check the settings, Auth0 access and the sink, step by step",
  usage: `Usage: auth0-logs-to-logstash check [--tenant ID] [--json]

Validates the settings, asks Auth0 for a new token with the configured client id and secret
(never the cached one, so that a wrong or rotated secret fails here; each token counts against the
tenant's machine-to-machine quota), reads one page of logs (and says which rate-limit bucket it came from, as far as the headers tell:
its limit and refill, the AUTH0_RATE_LIMIT_SHARE in force and the ceiling in events per minute
that makes, with a WARN when that is under the tenant's recent event rate), and checks the sink: Logstash gets
an empty array; Elasticsearch or OpenSearch says what it is (GET /), whether the index template
and lifecycle policy are installed, whether the target is the data stream it should be, and what
the user may do. With LOG_STREAM_ID, reads the tenant's Log Stream (scope read:log_streams): its
status, where it sends, and whether it sends LOG_STREAM_TOKEN. Reports each step as ok or the exact reason it failed; WARN lines say what could
not be verified (say, templates a write-only user may not read) and who can. Moves no checkpoint
and writes no document. With a tenants file and no --tenant, checks every tenant.

Options:
${TENANT_HELP}
  --json             print one JSON document: {"ok": …, "steps": [{"tenant", "step", "result":
                     "ok" | "fail" | "warn", "detail"}]}
  -h, --help         show this help

Exit status: 0 every step ok (warnings included), 1 a step failed, 2 bad settings.`,
  options: { ...TENANT_OPTION, json: { type: "boolean" } },
  async run(values, _positionals, io) {
    const deployment = loadSettings(io);
    const jobs =
      values.tenant === undefined ? deployment.jobs : [chooseJob(deployment, values.tenant)];
    const report = new CheckReport(values.json ? null : io.stdout);
    for (const warning of deployment.process.warnings)
      report.add(null, "warn", "settings", warning);
    const ok = await withStore(deployment.process, async (store) => {
      let all = true;
      for (const job of jobs)
        all = (await checkJob(job, store, io, report, jobs.length > 1)) && all;
      return all;
    });
    if (values.json) io.stdout.write(`${JSON.stringify({ ok, steps: report.steps }, null, 2)}\n`);
    return ok ? EXIT.ok : EXIT.failed;
  },
};
