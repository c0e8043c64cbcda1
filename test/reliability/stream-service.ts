// The Log Streams suites' service: `run` as a process with its intake on a port chosen once (so a
// restarted service answers the same payload URL, as a real deployment does), the sweep on a short
// SCHEDULE and LOG_STREAM_SWEEP_DELAY; a simulated stream pushing the world's tenant to it; and
// the figures both suites report.

import { freePort } from "../../simulator/loopback.ts";
import { StreamPusher } from "../../simulator/stream.ts";
import { spawnCli } from "../helpers/cli.ts";
import { until } from "../helpers/poll.ts";
import type { World } from "../helpers/world.ts";

/** The exact Authorization value the stream sends (LOG_STREAM_TOKEN). */
export const STREAM_TOKEN = "Bearer reliability-stream-token-0123456789abcdef";

/** The sweep's timing in these suites: a sweep every 5 s, stopping 2 s behind now. */
export const SWEEP = { SCHEDULE: "5s", LOG_STREAM_SWEEP_DELAY: "2s" };

export interface Ports {
  intake: number;
  http: number;
}

export async function ports(): Promise<Ports> {
  return { intake: await freePort(), http: await freePort() };
}

export type ServiceProcess = ReturnType<typeof spawnCli> & { stderr: () => string };

/** Starts `run` and resolves once its intake listens. */
export async function startService(
  w: World,
  at: Ports,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const service = spawnCli(
    ["run"],
    {
      ...w.env,
      HTTP_PORT: String(at.http),
      INTAKE_PORT: String(at.intake),
      LOG_STREAM_TOKEN: STREAM_TOKEN,
      RETRY_MAX_TIME: "5s",
      ...SWEEP,
      ...env,
    },
    w.dir,
  );
  let stderr = "";
  service.child.stderr.on("data", (chunk) => (stderr += chunk));
  const listening = new RegExp(
    `"url":"http://127\\.0\\.0\\.1:${at.intake}","paths":\\["/log-stream"\\]`,
  );
  await until(() => listening.test(stderr) || service.child.exitCode !== null, {
    timeoutMs: 15_000,
    what: "the intake listens",
  });
  if (service.child.exitCode !== null) throw new Error(`run exited: ${stderr.slice(-800)}`);
  return { ...service, stderr: () => stderr };
}

/**
 * The tenant's stream, as the scenario has it: shuffled, 5 % of batches never sent, 5 %
 * sent twice. Small batches, so that a dozen seconds hold a few hundred of them; errored batches
 * re-driven every second (Auth0 re-drives "until the problem is resolved").
 */
export function streamTo(w: World, at: Ports, seed: number): StreamPusher {
  return new StreamPusher(w.tenant.log, {
    url: `http://127.0.0.1:${at.intake}/log-stream`,
    authorization: STREAM_TOKEN,
    shuffle: true,
    dropRate: 0.05,
    redeliverRate: 0.05,
    batchSize: 20,
    redriveMs: 1_000,
    seed,
  });
}

/** Waits until the sweep's checkpoint is the tenant's last event: nothing is left for it. */
export async function sweptToTheEnd(w: World, timeoutMs: number): Promise<void> {
  const last = w.tenant.eventIds().at(-1);
  await until(
    async () =>
      (await w.withStore((store) => store.forJob("default").checkpoints.get())).checkpoint === last,
    { timeoutMs, everyMs: 500, what: "the sweep's checkpoint reaches the last event" },
  );
}

/** Events recorded as delivered by each path, over the whole test. */
export function byPath(w: World): Promise<{ stream: number; sweep: number }> {
  return w.withStore(async (store) => {
    const { stream, sweep } = await store
      .forJob("default")
      .delivered.summary(new Date(0).toISOString());
    return { stream, sweep };
  });
}

/** A Prometheus counter's value on the service's /metrics (0 when absent). */
export async function metric(at: Ports, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${at.http}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) sum += Number(line.split(" ").at(-1));
  }
  return sum;
}

export const share = (part: number, whole: number): string =>
  `${whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100} %`;
