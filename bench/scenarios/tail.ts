// Tail latency: events created live at 50/s, from their creation in the simulator to their
// acknowledgement by the Logstash fake, with TAIL=true. One run.

import { measure, percentile } from "../measure.ts";
import { exporterEnv, logstashSink, type ScenarioOptions, world } from "../world.ts";

export const name = "tail";

export async function run({ quick, log }: ScenarioOptions): Promise<unknown> {
  const seconds = quick ? 10 : 30;
  const pollMs = 1000;
  const w = await world(0);
  w.tenant.startStream(50);
  const latencies: number[] = [];
  const created: string[] = [];
  const run = measure(
    "bin",
    ["run"],
    exporterEnv(w.tenant.url, logstashSink(w.logstash.url), {
      TAIL: "true",
      TAIL_INTERVAL: `${pollMs}ms`,
      SCHEDULE: "1h",
      HTTP_PORT: "0",
      INITIAL_LOOKBACK: "1s",
    }),
    {
      onStart: (kill) => {
        setTimeout(() => {
          w.tenant.stopStream();
          // Let the last events arrive before stopping.
          setTimeout(() => kill("SIGTERM"), pollMs + 2000);
        }, seconds * 1000);
      },
    },
  );
  await run;
  const ids = w.tenant.eventIds();
  for (const id of ids.slice(Math.floor(ids.length * 0.1))) {
    const made = w.tenant.createdAt(id);
    const arrived = w.logstash.receivedAt(id);
    if (made !== undefined && arrived !== undefined) latencies.push(arrived - made);
    created.push(id);
  }
  const result = {
    pollIntervalMs: pollMs,
    events: latencies.length,
    missing: created.filter((id) => w.logstash.receivedAt(id) === undefined).length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
  };
  await w.close();
  log(`tail: p95 ${result.p95Ms} ms`);
  return result;
}
