import type { Logger } from "pino";
import type { Deployment, ProcessConfig } from "../../config/types.ts";
import { ConfigError, describe } from "../../errors.ts";
import type { Intake, PushObserver } from "../../intake/intake.ts";
import type { Store } from "../../interfaces.ts";
import type { Supervisor } from "../../runner/supervisor.ts";
import { addressList } from "../../util/addresses.ts";
import { LogHub } from "../../util/log-hub.ts";
import { registerSecrets } from "../../util/secrets.ts";
import type { listen } from "../../web/server.ts";
import { type Command, EXIT, type Io, loadSettings, loggerFor } from "../command.ts";
import { stateFolder, writePasswordFile } from "../password-file.ts";
import { onStopSignals } from "../signals.ts";

/** How long the batch in flight may take to be acknowledged after SIGTERM. */
const GRACE_MS = 10_000;

/** How long `run` keeps trying to reach a database that is not up yet before it gives up. */
const STORE_OPEN_RETRY_MS = 5 * 60_000;

/**
 * The generated password, given once (only its hash is kept): to a 0600 file in the state folder,
 * which the log line names; shown on the terminal too when there is one, as Grafana or Jupyter do.
 */
function handOverPassword(
  io: Io,
  logger: Logger,
  login: { folder: string; url: string; user: string; password: string },
): void {
  try {
    const file = writePasswordFile(login.folder, login);
    logger.info(
      { file, user: login.user },
      `dashboard password generated at the first start: written to ${file} (mode 0600); set DASHBOARD_PASSWORD to choose one`,
    );
  } catch (error) {
    logger.warn(
      `the generated dashboard password could not be written to ${login.folder} (${describe(error)}): set DASHBOARD_PASSWORD to sign in`,
    );
  }
  if (io.stderr.isTTY) {
    io.stderr.write(
      `\nDashboard: ${login.url}  user: ${login.user}  password: ${login.password}\n(generated at first start; set DASHBOARD_PASSWORD to choose one)\n\n`,
    );
  }
}

export const run: Command = {
  name: "run",
  summary:
    "Run as a service: every tenant's executions on its SCHEDULE, dashboard, health, metrics",
  usage: `Usage: auth0-logs-to-logstash run [--config PATH]

Runs each tenant's executions: one at start (or when it takes a tenant over), then on its
SCHEDULE (default every 5 minutes), each until caught up; with TAIL=true it polls every TAIL_INTERVAL once caught up. A tenant's executions never overlap:
a tick that falls during one is recorded as skipped. 'disable' and 'enable' switch a tenant
without restart. One tenant from the environment, or several from a tenants file (--config or
CONFIG_FILE), each with its own checkpoint, schedule, sink and alerts; SIGHUP re-reads the file:
removed tenants stop at their next commit, new ones start.

A tenant is exported by one process at a time, through a lease in the store. With SQLite a second
'run' or 'once' on the same store refuses to start (exit 1) and names the process that holds it.
Several 'run' replicas on one PostgreSQL (DATABASE_URL=postgres://…) share the tenants: each holds
about its share, and takes over a stopped replica's tenants when their leases lapse (15 s).

HTTP on HTTP_HOST:HTTP_PORT (default 127.0.0.1:3000):
  /              the dashboard (sign in with DASHBOARD_USER and DASHBOARD_PASSWORD; without a
                 password one is generated at the first start and written once to
                 dashboard-password, mode 0600, beside the SQLite store, or in the working
                 directory for PostgreSQL; the log line says where)
  GET /healthz   the process is up
  GET /readyz    the lease rounds reach the store in time, every tenant is held by a replica, and
                 none here failed READY_MAX_FAILURES times in a row (never waits on the store)
  GET /metrics   Prometheus metrics, by tenant
Only for its own host names: its address (any IP address when bound to 0.0.0.0 or ::), localhost
and ALLOWED_HOSTS (a reverse proxy's name); a request naming another host gets 421.

SIGTERM or SIGINT stops reading, lets the batches in flight finish (up to 10 s), commits what was
acknowledged, hands the tenants over and exits 0; a second signal exits at once (safe: the
checkpoint only moves on acks).

Exit status: 0 after a signal, 1 when the store or the listener cannot be opened or another
process holds the store's jobs (SQLite), 2 bad settings.`,
  options: {},
  async run(_values, _positionals, io) {
    const deployment = loadSettings(io);
    const settings = deployment.process;
    const logs = new LogHub();
    const logger = loggerFor(settings, io, logs);
    // Loaded here, not at start-up: one-off commands need not carry the service's modules.
    const [
      { assembleService },
      { webApp, listen },
      { dashboardPassword, Sessions, SignInLimiter, Verifier },
    ] = await Promise.all([
      import("../service.ts"),
      import("../../web/server.ts"),
      import("../../web/auth.ts"),
    ]);
    const { store, metrics, supervisor } = await assembleService(deployment, {
      logger,
      runAtStart: true,
      storeRetry: {
        forMs: STORE_OPEN_RETRY_MS,
        onRetry: (error, delayMs) =>
          logger.warn(`${error}; trying again in ${Math.round(delayMs / 100) / 10}s`),
      },
    });
    try {
      await supervisor.start();
    } catch (error) {
      await store.close();
      throw error;
    }
    const password = await dashboardPassword(store.process, settings.dashboard.password);
    const app = webApp(
      { supervisor, metrics, readyMaxFailures: settings.readyMaxFailures },
      {
        dashboard: settings.dashboard,
        store,
        supervisor,
        logger,
        logs,
        sessions: new Sessions(settings.dashboard.sessionTtlMs, store.process),
        verifier: new Verifier(settings.dashboard.user, password.hash),
        limiter: new SignInLimiter(),
        trusted: addressList(settings.http.trustedProxies),
        env: io.env,
        cwd: io.cwd,
      },
      { listen: settings.http.host, names: settings.http.allowedHosts ?? [] },
    );
    let web: Awaited<ReturnType<typeof listen>>;
    try {
      web = await listen(app, settings.http.host, settings.http.port);
    } catch (error) {
      await supervisor.stop(0);
      await store.close();
      io.stderr.write(
        `error: cannot listen on ${settings.http.host}:${settings.http.port} (HTTP_HOST, HTTP_PORT): ${describe(error)}\n`,
      );
      return EXIT.failed;
    }
    logger.info({ url: web.url, tenants: deployment.jobs.length, store: store.kind }, "listening");
    let intake: OpenIntake | null = null;
    try {
      intake = await openIntake(deployment, { store, metrics, logger });
    } catch (error) {
      await stopService(supervisor, store, web.server, null);
      io.stderr.write(`error: ${describe(error)}\n`);
      return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
    }
    if (password.generated) {
      registerSecrets(password.generated);
      handOverPassword(io, logger, {
        folder: stateFolder(settings.databaseUrl, io.cwd),
        url: `${web.url}/`,
        user: settings.dashboard.user,
        password: password.generated,
      });
    }
    let reloading: Promise<void> = Promise.resolve();
    // SIGHUP re-reads the tenants file. Without one there is nothing to re-read, and a reload
    // request must not kill the service (Node's default for SIGHUP is to exit at once).
    const reload = deployment.file
      ? () => {
          // One reload at a time: a second SIGHUP waits for the first, then reads the file anew.
          reloading = reloading.then(() =>
            reloadTenants(io, supervisor, logger, settings, intake?.intake ?? null),
          );
        }
      : () =>
          logger.warn(
            "SIGHUP: no tenants file (CONFIG_FILE or --config) to re-read; nothing changed",
          );
    process.on("SIGHUP", reload);

    return new Promise<number>((resolve) => {
      const stopListening = onStopSignals(
        async (signal) => {
          logger.info(`${signal}: stopping after the batches in flight (again to exit at once)`);
          await stopService(supervisor, store, web.server, intake);
          logger.info("stopped");
          stopListening();
          process.off("SIGHUP", reload);
          resolve(EXIT.ok);
        },
        (signal) =>
          logger.warn(`${signal} again: exiting now; unacknowledged batches will be re-sent`),
      );
    });
  },
};

async function stopService(
  supervisor: Supervisor,
  store: Store,
  server: { close(): unknown },
  intake: OpenIntake | null,
): Promise<void> {
  // Pushes first: no new one is taken, those in flight are answered (within PUSH_DEADLINE_MS)
  // while the store is still open.
  await intake?.close();
  await supervisor.stop(GRACE_MS);
  server.close();
  await store.close();
}

interface OpenIntake {
  intake: Intake;
  close(): Promise<void>;
}

/** The Log Streams intake's listener, when a tenant has a stream (LOG_STREAM_TOKEN). */
async function openIntake(
  deployment: Deployment,
  deps: { store: Store; metrics: PushObserver; logger: ReturnType<typeof loggerFor> },
): Promise<OpenIntake | null> {
  if (!deployment.jobs.some((job) => job.logStream)) return null;
  const [{ openIntakeListener }, { Intake }] = await Promise.all([
    import("../../intake/listener.ts"),
    import("../../intake/intake.ts"),
  ]);
  const logger = deps.logger.child({ component: "intake" });
  const intake = new Intake(deployment.jobs, {
    store: deps.store,
    logger,
    observer: deps.metrics,
    single: deployment.file === undefined,
  });
  const listener = await openIntakeListener(intake, deployment.process, logger).catch(
    async (error: unknown) => {
      await intake.close();
      throw error;
    },
  );
  const tenants = deployment.jobs.filter((job) => job.logStream).map((job) => job.id);
  const paths = deployment.file ? tenants.map((id) => `/log-stream/${id}`) : ["/log-stream"];
  logger.info({ url: listener.url, paths }, "Log Streams intake listening");
  return {
    intake,
    async close() {
      await new Promise<void>((resolve) => {
        listener.server.close(() => resolve());
        // Idle keep-alive connections would hold close() open: those in flight still finish.
        (listener.server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await intake.close();
    },
  };
}

/** SIGHUP: the tenants file again; a file that does not load changes nothing and says why. */
/**
 * Re-reads the tenants file and hands the supervisor the new set. Process settings (port, store,
 * dashboard) are not changed by a reload: the service says which changed, for a restart to apply.
 */
async function reloadTenants(
  io: Io,
  supervisor: Supervisor,
  logger: ReturnType<typeof loggerFor>,
  started: ProcessConfig,
  intake: Intake | null,
): Promise<void> {
  try {
    const next = loadSettings(io);
    if (intake) intake.update(next.jobs);
    else if (next.jobs.some((job) => job.logStream)) {
      logger.warn(
        "SIGHUP: a tenant now has LOG_STREAM_TOKEN, but the Log Streams intake opens at start: restart the service to accept its pushes",
      );
    }
    const before = new Set(supervisor.jobs().map((job) => job.id));
    for (const warning of next.process.warnings) logger.warn(warning);
    for (const job of next.jobs) {
      for (const warning of job.warnings) logger.warn({ tenant: job.id }, warning);
    }
    const changed = changedProcessSettings(started, next.process);
    if (changed.length > 0) {
      logger.warn(
        `SIGHUP: ${changed.join(", ")} changed in the tenants file; process settings take effect at the next restart, the tenants now`,
      );
    }
    await supervisor.reload(next.jobs);
    const after = new Set(next.jobs.map((job) => job.id));
    logger.info(
      {
        added: [...after].filter((id) => !before.has(id)),
        removed: [...before].filter((id) => !after.has(id)),
      },
      "tenants file reloaded",
    );
  } catch (error) {
    logger.error(`tenants file not reloaded, the tenants run on as they were: ${describe(error)}`);
  }
}

/** Which of the process's settings differ, named as the settings are (never their values). */
function changedProcessSettings(before: ProcessConfig, after: ProcessConfig): string[] {
  const names: [string, (p: ProcessConfig) => unknown][] = [
    ["DATABASE_URL", (p) => p.databaseUrl],
    ["DATABASE_TIMEOUT", (p) => p.databaseTimeoutMs],
    ["EXPORTER_LOG_LEVEL", (p) => p.exporterLogLevel],
    ["HTTP_HOST/HTTP_PORT/ALLOWED_HOSTS/TRUSTED_PROXIES", (p) => p.http],
    ["INTAKE_HOST/INTAKE_PORT/INTAKE_TLS_CERT/INTAKE_TLS_KEY", (p) => p.intake],
    ["DASHBOARD_*", (p) => p.dashboard],
    ["READY_MAX_FAILURES", (p) => p.readyMaxFailures],
    ["RUNS_RETENTION", (p) => p.runsRetentionMs],
  ];
  return names
    .filter(([, of]) => JSON.stringify(of(before)) !== JSON.stringify(of(after)))
    .map(([name]) => name);
}
