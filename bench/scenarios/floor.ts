// The exporter against the floor (bench/floor.ts: raw bytes, nothing parsed but the next link),
// back to back on the same simulator in each run; the ratio is taken inside one run.

import { median } from "../measure.ts";
import { exporterOnce, floorOnce, perSecond, type ScenarioOptions, world } from "../world.ts";

export const name = "floor";

export async function run({ quick, repeat, log }: ScenarioOptions): Promise<unknown> {
  const events = quick ? 20_000 : 100_000;
  const rows: {
    floor: number;
    exporter: number;
    ratio: number;
    cpuPer1000: number;
    floorCpuPer1000: number;
    rss: number;
  }[] = [];
  for (let i = 0; i < repeat; i++) {
    const w = await world(events);
    const floor = await floorOnce(w);
    w.logstash.reset();
    const exporter = await exporterOnce(w);
    await w.close();
    rows.push({
      floor: perSecond(events, floor.wallMs),
      exporter: perSecond(events, exporter.wallMs),
      ratio: floor.wallMs / exporter.wallMs,
      cpuPer1000: (exporter.cpuMs / events) * 1000,
      floorCpuPer1000: (floor.cpuMs / events) * 1000,
      rss: exporter.maxRssMb,
    });
    log(
      `floor ${i + 1}/${repeat}: floor ${rows.at(-1)?.floor}/s, exporter ${rows.at(-1)?.exporter}/s`,
    );
  }
  return {
    events,
    floorEventsPerSecond: median(rows.map((r) => r.floor)),
    exporterEventsPerSecond: median(rows.map((r) => r.exporter)),
    ratio: median(rows.map((r) => r.ratio)),
    exporterCpuMsPer1000: median(rows.map((r) => r.cpuPer1000)),
    floorCpuMsPer1000: median(rows.map((r) => r.floorCpuPer1000)),
    runs: rows,
  };
}
