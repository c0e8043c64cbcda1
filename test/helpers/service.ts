// The service wired in-process to a simulated world: a supervisor holding the one tenant the
// environment describes, its runner, and its HTTP routes callable without a socket.

import type { TestContext } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import type { RunTrigger } from "../../src/interfaces.ts";
import { Metrics } from "../../src/metrics/prometheus.ts";
import { NullNotifier, SlackNotifier } from "../../src/notify/notifier.ts";
import type { JobRunner } from "../../src/runner/job-runner.ts";
import { Supervisor } from "../../src/runner/supervisor.ts";
import { openStore } from "../../src/store/open.ts";
import { createLogger } from "../../src/util/logger.ts";
import { healthRoutes } from "../../src/web/server.ts";
import type { World } from "./world.ts";

export async function serviceFor(t: TestContext, w: World, overrides: Record<string, string> = {}) {
  const config = { id: "default", ...loadConfig({ ...w.env, ...overrides }, { cwd: w.dir }) };
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    human: false,
    destination: { write: (line) => lines.push(line) },
  });
  const root = await openStore(config.databaseUrl, { timeoutMs: config.databaseTimeoutMs });
  const store = root.forJob(config.id);
  const metrics = new Metrics({ defaults: false });
  const notifier = config.slack.webhookUrl
    ? new SlackNotifier(config, store, logger, config.slack.webhookUrl)
    : new NullNotifier();
  const supervisor = new Supervisor([config], {
    store: root,
    logger,
    observer: metrics,
    runsRetentionMs: config.runsRetentionMs,
    notifierFor: () => notifier,
  });
  let started: Promise<void> | null = null;
  const runner = async (): Promise<JobRunner> => {
    started ??= supervisor.start();
    await started;
    const held = supervisor.runner(config.id);
    if (!held) throw new Error("the test's supervisor does not hold its tenant");
    return held;
  };
  /** The tenant as the tests drive it: started on first use, as `run` would have it. */
  const service = {
    start: async () => {
      await runner();
    },
    stop: (graceMs = 100) => supervisor.stop(graceMs),
    tick: async (trigger: RunTrigger) => (await runner()).tick(trigger),
    reschedule: async (expression: string | null) => (await runner()).schedule.change(expression),
    status: async () => (await runner()).status(),
  };
  const app = healthRoutes({
    supervisor,
    metrics,
    readyMaxFailures: config.readyMaxFailures,
  });
  t.after(async () => {
    await supervisor.stop(100);
    await notifier.idle();
    await root.close();
  });
  return { config, service, supervisor, store, root, metrics, notifier, app, lines, logger };
}
