// The service wired in-process to a simulated world: a supervisor holding the one tenant the
// environment describes, its runner, and its HTTP routes callable without a socket.

import type { TestContext } from "node:test";
import { assembleService, notifierFor as chooseNotifier } from "../../src/cli/service.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { RunTrigger } from "../../src/interfaces.ts";
import { Metrics } from "../../src/metrics/prometheus.ts";
import type { JobRunner } from "../../src/runner/job-runner.ts";
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
  const {
    store: root,
    metrics,
    supervisor,
  } = await assembleService(
    // The tenant's own warnings are its job's: the environment has no process-wide ones here.
    { process: { ...config, warnings: [] }, jobs: [config] },
    {
      logger,
      metrics: new Metrics({ defaults: false }),
      // Asked when the supervisor starts, after `notifier` below is made.
      notifierFor: () => notifier,
    },
  );
  // Made up front, as the supervisor keeps one per tenant: a test waits for its alerts to go.
  const notifier = chooseNotifier(config, root, logger);
  const store = root.forJob(config.id);
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
