// The Elasticsearch sink against the floor and the Logstash sink: the floor's backlog, and in each
// run, back to back on the same simulator, the floor (raw bytes into the Logstash fake), the
// exporter into the Logstash fake, and the exporter into the fake cluster (ES 8, ECS documents
// into the data stream logs-auth0.export-default, its index template installed at start). Each
// sink's ratio to the floor is taken inside one run.

import { startSearch } from "../../src/simulator/search/index.ts";
import { median } from "../measure.ts";
import {
  exporterIntoSearchOnce,
  exporterOnce,
  floorOnce,
  perSecond,
  type ScenarioOptions,
  world,
} from "../world.ts";

export const name = "elasticsearch";

export async function run({ quick, repeat, log }: ScenarioOptions): Promise<unknown> {
  const events = quick ? 20_000 : 100_000;
  const rows: {
    floor: number;
    logstash: number;
    elasticsearch: number;
    logstashRatio: number;
    elasticsearchRatio: number;
    logstashCpuPer1000: number;
    elasticsearchCpuPer1000: number;
    logstashRss: number;
    elasticsearchRss: number;
  }[] = [];
  for (let i = 0; i < repeat; i++) {
    const w = await world(events);
    // Mapping every document is the cluster's work, on its own machines: skipped here, so that
    // the fake does not take the exporter's cores (ids, 409s and data-stream rules still apply).
    const search = await startSearch({ keepDocuments: false, skipMapping: true });
    try {
      const floor = await floorOnce(w);
      w.logstash.reset();
      const logstash = await exporterOnce(w);
      const elasticsearch = await exporterIntoSearchOnce(w, search);
      rows.push({
        floor: perSecond(events, floor.wallMs),
        logstash: perSecond(events, logstash.wallMs),
        elasticsearch: perSecond(events, elasticsearch.wallMs),
        logstashRatio: floor.wallMs / logstash.wallMs,
        elasticsearchRatio: floor.wallMs / elasticsearch.wallMs,
        logstashCpuPer1000: (logstash.cpuMs / events) * 1000,
        elasticsearchCpuPer1000: (elasticsearch.cpuMs / events) * 1000,
        logstashRss: logstash.maxRssMb,
        elasticsearchRss: elasticsearch.maxRssMb,
      });
    } finally {
      await search.close();
      await w.close();
    }
    const row = rows.at(-1);
    log(
      `elasticsearch ${i + 1}/${repeat}: floor ${row?.floor}/s, Logstash sink ${row?.logstash}/s, Elasticsearch sink ${row?.elasticsearch}/s`,
    );
  }
  return {
    events,
    floorEventsPerSecond: median(rows.map((r) => r.floor)),
    logstashEventsPerSecond: median(rows.map((r) => r.logstash)),
    elasticsearchEventsPerSecond: median(rows.map((r) => r.elasticsearch)),
    logstashRatio: median(rows.map((r) => r.logstashRatio)),
    elasticsearchRatio: median(rows.map((r) => r.elasticsearchRatio)),
    logstashCpuMsPer1000: median(rows.map((r) => r.logstashCpuPer1000)),
    elasticsearchCpuMsPer1000: median(rows.map((r) => r.elasticsearchCpuPer1000)),
    logstashPeakRssMb: median(rows.map((r) => r.logstashRss)),
    elasticsearchPeakRssMb: median(rows.map((r) => r.elasticsearchRss)),
    runs: rows,
  };
}
