// Log Streams: how fresh, how fast, and at what cost to the tenant's Management API.
// 1. Latency: events created live at 50/s, pushed by the simulated stream (batches of up to 100,
//    sent 250 ms after their oldest event at most) to the service's intake, from their creation to
//    the Logstash fake's acknowledgement; beside it, TAIL polling every 1 s (the tail scenario).
// 2. Management API requests per hour spent staying fresh: the stream's way (the sweep, reading
//    the stream's status each time: measured per sweep, times the 12 sweeps of an hour on the
//    default 5-minute SCHEDULE) against TAIL at 1 s (at least one read per poll).
// 3. A resumed stream's backlog (events held while it was paused) absorbed by the intake, into the
//    Logstash fake and into a fake cluster: events per second and CPU per 1 000 events.

import { randomBytes } from "node:crypto";
import { freePort } from "../../simulator/loopback.ts";
import { startSearch } from "../../simulator/search/index.ts";
import { StreamPusher } from "../../simulator/stream.ts";
import { type Measured, measure, percentile } from "../measure.ts";
import {
  elasticsearchSink,
  exporterEnv,
  logstashSink,
  perSecond,
  type ScenarioOptions,
  world,
} from "../world.ts";
import * as tail from "./tail.ts";

export const name = "stream";

/** The sweep's period during the latency run. */
const SWEEP_S = 10;

const token = () => `Bearer ${randomBytes(24).toString("base64url")}`;

/** Waits until the service's intake answers. */
async function intakeUp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the intake at ${url} did not come up`);
}

/**
 * The service with a stream, on a world: `during` runs once the intake is up and returns when
 * the service is to stop.
 */
async function serviceWithStream(
  sink: Record<string, string>,
  tenantUrl: string,
  extra: Record<string, string>,
  during: (intake: string, authorization: string) => Promise<void>,
): Promise<Measured> {
  const port = await freePort();
  const authorization = token();
  const intake = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> = Promise.resolve();
  const run = measure(
    "bin",
    ["run"],
    exporterEnv(tenantUrl, sink, {
      HTTP_PORT: "0",
      INTAKE_PORT: String(port),
      LOG_STREAM_TOKEN: authorization,
      TAIL: "false",
      INITIAL_LOOKBACK: "1s",
      ...extra,
    }),
    {
      onStart: (kill) => {
        stopped = intakeUp(intake)
          .then(() => during(intake, authorization))
          .finally(() => kill("SIGTERM"));
      },
    },
  );
  const measured = await run;
  await stopped;
  if (measured.code !== 0) throw new Error(`service failed: ${measured.stderr.slice(-500)}`);
  return measured;
}

async function latency(seconds: number, log: ScenarioOptions["log"]) {
  const w = await world(0);
  const started = { requests: 0, at: 0 };
  let ended = { requests: 0, at: 0 };
  let pusher: StreamPusher | null = null;
  const apiRequests = () =>
    w.tenant.stats.logRequests + w.tenant.stats.tokenRequests + w.tenant.logStreams.requests.length;
  // The stream as the Management API knows it, so that each sweep reads its status as users run it.
  const known = w.tenant.logStreams.create({
    name: "bench",
    sink: {
      httpEndpoint: "https://bench.invalid/",
      httpContentType: "application/json",
      httpContentFormat: "JSONLINES",
    },
  });
  await serviceWithStream(
    logstashSink(w.logstash.url),
    w.tenant.url,
    // Sweeps every 10 s here, so that a short run sees several; scaled to the default 5 min below.
    { SCHEDULE: `${SWEEP_S}s`, LOG_STREAM_ID: known.id },
    async (intake, authorization) => {
      pusher = new StreamPusher(w.tenant.log, {
        url: `${intake}/log-stream`,
        authorization,
        seed: 19,
      });
      Object.assign(started, { requests: apiRequests(), at: Date.now() });
      w.tenant.startStream(50);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      w.tenant.stopStream();
      await pusher.idle(10_000);
      ended = { requests: apiRequests(), at: Date.now() };
      await pusher.stop();
    },
  );
  const ids = w.tenant.eventIds();
  const latencies: number[] = [];
  for (const id of ids.slice(Math.floor(ids.length * 0.1))) {
    const made = w.tenant.createdAt(id);
    const arrived = w.logstash.receivedAt(id);
    if (made !== undefined && arrived !== undefined) latencies.push(arrived - made);
  }
  const hours = (ended.at - started.at) / 3_600_000;
  const result = {
    events: latencies.length,
    missing: ids.filter((id) => w.logstash.receivedAt(id) === undefined).length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    // Requests per sweep, measured, times the 12 sweeps an hour of the default SCHEDULE.
    managementApiRequestsPerHour: Math.round(
      ((ended.requests - started.requests) / (hours * (3600 / SWEEP_S))) * 12,
    ),
  };
  await w.close();
  log(
    `stream: latency p95 ${result.p95Ms} ms, ${result.managementApiRequestsPerHour} API requests/h`,
  );
  return result;
}

/** TAIL at 1 s: the tail scenario's latency, and the requests it spends per hour. */
async function tailWay(seconds: number, log: ScenarioOptions["log"]) {
  const result = (await tail.run({ quick: seconds < 30, repeat: 1, log })) as Record<
    string,
    number
  >;
  // One read per poll at least, caught up: the tail scenario's world is not reachable from here,
  // so the polls are counted from the interval.
  return {
    ...result,
    managementApiRequestsPerHour: Math.round(3_600_000 / (result.pollIntervalMs ?? 1000)),
  };
}

async function backlog(events: number, into: "logstash" | "cluster", log: ScenarioOptions["log"]) {
  const w = await world(0);
  const search =
    into === "cluster" ? await startSearch({ keepDocuments: false, skipMapping: true }) : null;
  const sink = search ? elasticsearchSink(search.url) : logstashSink(w.logstash.url);
  let absorbedMs = 0;
  const received = () => (search ? search.idCounts().size : w.logstash.idCounts().size);
  const measured = await serviceWithStream(
    sink,
    w.tenant.url,
    { SCHEDULE: "1h" },
    async (intake, authorization) => {
      const pusher = new StreamPusher(w.tenant.log, {
        url: `${intake}/log-stream`,
        authorization,
        status: "paused",
        seed: 19,
      });
      w.tenant.addEvents(events);
      const started = performance.now();
      pusher.resume();
      await pusher.idle(600_000);
      absorbedMs = performance.now() - started;
      await pusher.stop();
    },
  );
  const result = {
    events,
    received: received(),
    eventsPerSecond: perSecond(events, absorbedMs),
    cpuMsPer1000Events: Math.round((measured.cpuMs / events) * 1000 * 10) / 10,
    maxRssMb: Math.round(measured.maxRssMb),
  };
  await search?.close();
  await w.close();
  log(`stream: backlog into ${into} ${result.eventsPerSecond} events/s`);
  return result;
}

export async function run({ quick, log }: ScenarioOptions): Promise<unknown> {
  const seconds = quick ? 10 : 30;
  const events = quick ? 20_000 : 100_000;
  return {
    byStream: await latency(seconds, log),
    byTail: await tailWay(seconds, log),
    backlogIntoLogstash: await backlog(events, "logstash", log),
    backlogIntoCluster: await backlog(events, "cluster", log),
  };
}
