// Unthrottled drains of two sizes: throughput, CPU, and peak RSS, which must not grow with the
// backlog.

import { type Measured, median } from "../measure.ts";
import { exporterOnce, perSecond, type ScenarioOptions, world } from "../world.ts";

export const name = "drain";

export async function run({ quick, repeat, log }: ScenarioOptions): Promise<unknown> {
  const sizes = quick ? [20_000, 100_000] : [100_000, 1_000_000];
  const drains: Record<string, unknown>[] = [];
  for (const events of sizes) {
    const rows: Measured[] = [];
    for (let i = 0; i < repeat; i++) {
      const w = await world(events);
      rows.push(await exporterOnce(w));
      await w.close();
      log(
        `drain ${events} ${i + 1}/${repeat}: ${perSecond(events, rows.at(-1)?.wallMs ?? 1)}/s, ${rows.at(-1)?.maxRssMb.toFixed(0)} MB`,
      );
    }
    drains.push({
      events,
      eventsPerSecond: median(rows.map((r) => perSecond(events, r.wallMs))),
      peakRssMb: Math.round(median(rows.map((r) => r.maxRssMb))),
      cpuMsPer1000: median(rows.map((r) => (r.cpuMs / events) * 1000)),
    });
  }
  const [small, large] = drains as { peakRssMb: number }[];
  return {
    drains,
    rssGrowth: small && large ? large.peakRssMb / small.peakRssMb - 1 : null,
  };
}
