// A Service wired in-process to a simulated world, with its HTTP routes callable without a socket.

import type { TestContext } from "node:test";
import { loadConfig } from "../../src/config/load.ts";
import { NullNotifier, SlackNotifier } from "../../src/notify/notifier.ts";
import { Service } from "../../src/runner/service.ts";
import { openStore } from "../../src/store/open.ts";
import { createLogger } from "../../src/util/logger.ts";
import { Metrics } from "../../src/web/metrics.ts";
import { healthRoutes } from "../../src/web/server.ts";
import type { World } from "./world.ts";

export async function serviceFor(t: TestContext, w: World, overrides: Record<string, string> = {}) {
  const config = loadConfig({ ...w.env, ...overrides }, { cwd: w.dir });
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    human: false,
    destination: { write: (line) => lines.push(line) },
  });
  const store = await openStore(config.databaseUrl);
  const metrics = new Metrics({ defaults: false });
  const notifier = config.slack.webhookUrl
    ? new SlackNotifier(config, store, logger, config.slack.webhookUrl)
    : new NullNotifier();
  const service = new Service({ config, store, logger, metrics, notifier });
  const app = healthRoutes({ store, service, metrics, readyMaxFailures: config.readyMaxFailures });
  t.after(async () => {
    await service.stop(100);
    await notifier.idle();
    await store.close();
  });
  return { config, service, store, metrics, notifier, app, lines, logger };
}
