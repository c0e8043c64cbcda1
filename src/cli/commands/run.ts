import { describe } from "../../errors.ts";
import { openStore } from "../../store/open.ts";
import type { listen } from "../../web/server.ts";
import { type Command, EXIT, loadSettings, loggerFor } from "../command.ts";

/** How long the batch in flight may take to be acknowledged after SIGTERM. */
const GRACE_MS = 10_000;

export const run: Command = {
  name: "run",
  summary: "Run as a service: executions on SCHEDULE, health and metrics over HTTP",
  usage: `Usage: auth0-logs-to-logstash run

Runs executions on SCHEDULE (default every 5 minutes), each until caught up; with TAIL=true it
polls every TAIL_INTERVAL once caught up. Executions never overlap: a tick that falls during one is
recorded as skipped. 'disable' and 'enable' switch the job without restart.

HTTP on HTTP_HOST:HTTP_PORT (default 127.0.0.1:3000):
  GET /healthz   the process is up
  GET /readyz    the store is reachable and fewer than READY_MAX_FAILURES executions in a row failed
  GET /metrics   Prometheus metrics

SIGTERM or SIGINT stops reading, lets the batch in flight finish (up to 10 s), commits what was
acknowledged and exits 0; a second signal exits at once (safe: the checkpoint only moves on acks).

Exit status: 0 after a signal, 1 when the store or the listener cannot be opened, 2 bad settings.`,
  options: {},
  async run(_values, _positionals, io) {
    const config = loadSettings(io);
    const logger = loggerFor(config, io);
    // Loaded here, not at start-up: one-off commands need not carry the service's modules.
    const [
      { Cron },
      { NullNotifier, SlackNotifier },
      { Service },
      { Metrics },
      { healthRoutes, listen },
    ] = await Promise.all([
      import("croner"),
      import("../../notify/notifier.ts"),
      import("../../runner/service.ts"),
      import("../../web/metrics.ts"),
      import("../../web/server.ts"),
    ]);
    const store = await openStore(config.databaseUrl);
    const metrics = new Metrics();
    const notifier = config.slack.webhookUrl
      ? new SlackNotifier(config, store, logger, config.slack.webhookUrl)
      : new NullNotifier();
    const service = new Service({ config, store, logger, metrics, notifier });
    let web: Awaited<ReturnType<typeof listen>>;
    try {
      web = await listen(
        healthRoutes({ store, service, metrics, readyMaxFailures: config.readyMaxFailures }),
        config.http.host,
        config.http.port,
      );
    } catch (error) {
      await store.close();
      io.stderr.write(
        `error: cannot listen on ${config.http.host}:${config.http.port} (HTTP_HOST, HTTP_PORT): ${describe(error)}\n`,
      );
      return EXIT.failed;
    }
    logger.info({ url: web.url }, "listening");
    const report =
      config.slack.dailyReportHour === undefined
        ? null
        : new Cron(
            `0 ${config.slack.dailyReportHour} * * *`,
            { timezone: "UTC" },
            () => void notifier.dailyReport(),
          );
    await service.start();

    return new Promise<number>((resolve) => {
      let signals = 0;
      const onSignal = async (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          logger.warn(`${signal} again: exiting now; unacknowledged batches will be re-sent`);
          process.exit(130);
        }
        logger.info(`${signal}: stopping after the batch in flight (again to exit at once)`);
        report?.stop();
        await service.stop(GRACE_MS);
        await notifier.idle();
        web.server.close();
        await store.close();
        logger.info("stopped");
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        resolve(EXIT.ok);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });
  },
};
