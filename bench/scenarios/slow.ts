// A slow Logstash: the fake answers after 50 ms, and so does the tenant; in lockstep a page would
// take 100 ms, with reading overlapping sending 50 ms: the throughput shows which.

import { median } from "../measure.ts";
import { exporterOnce, perSecond, type ScenarioOptions, world } from "../world.ts";

export const name = "slow";
/** Its key in bench/results.json (the scenario's name is shorter). */
export const key = "slowLogstash";

export async function run({ quick, repeat }: ScenarioOptions): Promise<unknown> {
  // Logstash answers after 50 ms, and so does the tenant: in lockstep a page would take 100 ms;
  // with reading overlapping sending, 50 ms.
  const events = quick ? 5_000 : 20_000;
  const delay = 50;
  const rows: { eventsPerSecond: number; sequential: number; overlapped: number; share: number }[] =
    [];
  for (let i = 0; i < repeat; i++) {
    const w = await world(events, null, delay, delay);
    const run = await exporterOnce(w);
    const pages = Math.ceil(events / 100);
    rows.push({
      eventsPerSecond: perSecond(events, run.wallMs),
      sequential: perSecond(events, pages * 2 * delay),
      overlapped: perSecond(events, pages * delay),
      share: (pages * delay) / run.wallMs,
    });
    await w.close();
  }
  return {
    delayMs: delay,
    events,
    eventsPerSecond: median(rows.map((r) => r.eventsPerSecond)),
    sequentialEventsPerSecond: median(rows.map((r) => r.sequential)),
    overlappedEventsPerSecond: median(rows.map((r) => r.overlapped)),
    shareOfOverlapBound: median(rows.map((r) => r.share)),
  };
}
