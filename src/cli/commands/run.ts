import { describe } from "../../errors.ts";
import { openStore } from "../../store/open.ts";
import { addressList } from "../../util/addresses.ts";
import { LogHub } from "../../util/log-hub.ts";
import { registerSecrets } from "../../util/secrets.ts";
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
  /              the dashboard (sign in with DASHBOARD_USER and DASHBOARD_PASSWORD; without a
                 password one is generated at the first start and printed once)
  GET /healthz   the process is up
  GET /readyz    the store is reachable and fewer than READY_MAX_FAILURES executions in a row failed
  GET /metrics   Prometheus metrics

Only one process exports a job: a second 'run' or 'once' on the same store refuses to start
(exit 1) and names the process that holds it.

SIGTERM or SIGINT stops reading, lets the batch in flight finish (up to 10 s), commits what was
acknowledged and exits 0; a second signal exits at once (safe: the checkpoint only moves on acks).

Exit status: 0 after a signal, 1 when the store or the listener cannot be opened or another
process holds the job, 2 bad settings.`,
  options: {},
  async run(_values, _positionals, io) {
    const config = loadSettings(io);
    const logs = new LogHub();
    const logger = loggerFor(config, io, logs);
    // Loaded here, not at start-up: one-off commands need not carry the service's modules.
    const [
      { Cron },
      { NullNotifier, SlackNotifier },
      { Service },
      { Metrics },
      { webApp, listen },
      { dashboardPassword, Sessions, SignInLimiter, Verifier },
    ] = await Promise.all([
      import("croner"),
      import("../../notify/notifier.ts"),
      import("../../runner/service.ts"),
      import("../../web/metrics.ts"),
      import("../../web/server.ts"),
      import("../../web/auth.ts"),
    ]);
    const store = await openStore(config.databaseUrl);
    const metrics = new Metrics();
    const notifier = config.slack.webhookUrl
      ? new SlackNotifier(config, store, logger, config.slack.webhookUrl)
      : new NullNotifier();
    const service = new Service({ config, store, logger, metrics, notifier });
    for (const warning of config.warnings) logger.warn(warning);
    try {
      await service.claim();
    } catch (error) {
      await store.close();
      throw error;
    }
    const password = await dashboardPassword(store, config.dashboard.password);
    const app = webApp(
      { store, service, metrics, readyMaxFailures: config.readyMaxFailures },
      {
        config,
        store,
        service,
        logger,
        logs,
        sessions: new Sessions(config.dashboard.sessionTtlMs),
        verifier: new Verifier(config.dashboard.user, password.hash),
        limiter: new SignInLimiter(),
        trusted: addressList(config.http.trustedProxies),
        env: io.env,
        cwd: io.cwd,
      },
    );
    let web: Awaited<ReturnType<typeof listen>>;
    try {
      web = await listen(app, config.http.host, config.http.port);
    } catch (error) {
      await service.stop(0);
      await store.close();
      io.stderr.write(
        `error: cannot listen on ${config.http.host}:${config.http.port} (HTTP_HOST, HTTP_PORT): ${describe(error)}\n`,
      );
      return EXIT.failed;
    }
    logger.info({ url: web.url }, "listening");
    if (password.generated) {
      // Printed once, as Grafana or Jupyter do; only its hash is kept, so it cannot be shown again.
      io.stderr.write(
        `\nDashboard: ${web.url}/  user: ${config.dashboard.user}  password: ${password.generated}\n(generated at first start and shown only now; set DASHBOARD_PASSWORD to choose one)\n\n`,
      );
      registerSecrets(password.generated);
    }
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
