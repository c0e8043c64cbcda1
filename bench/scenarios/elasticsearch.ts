// The Elasticsearch sink against the floors and the Logstash sink. In each run, back to back on
// the same simulator: the floor into Logstash (raw bytes into the Logstash fake), the exporter
// into the Logstash fake, the floor into a cluster (bench/floor-bulk.ts: each event as a `create`
// action, uncompressed, unshaped), the exporter into a fake cluster as users run it (ES 8, ECS
// documents, gzip, into the data stream logs-auth0.export-default, its index template installed
// at start), and the exporter into a cluster with the event as it came and no gzip (what the sink
// itself costs, less ECS and compression). Each ratio is taken inside one run.

import { startSearch } from "../../simulator/search/index.ts";
import { median } from "../measure.ts";
import {
  bulkFloorOnce,
  exporterIntoSearchOnce,
  exporterOnce,
  floorOnce,
  perSecond,
  type ScenarioOptions,
  world,
} from "../world.ts";

export const name = "elasticsearch";

/** As the bench runs the cluster: mapping every document is its work, on its own machines. */
const fakeCluster = () => startSearch({ keepDocuments: false, skipMapping: true });

export async function run({ quick, repeat, log }: ScenarioOptions): Promise<unknown> {
  const events = quick ? 20_000 : 100_000;
  const rows: Record<string, number>[] = [];
  for (let i = 0; i < repeat; i++) {
    const w = await world(events);
    // One cluster each, so that no run finds the documents of another (ids, 409s and data-stream
    // rules still apply; skipping the mapping keeps the fake from taking the exporter's cores).
    const [bulkTarget, ecsTarget, plainTarget] = await Promise.all([
      fakeCluster(),
      fakeCluster(),
      fakeCluster(),
    ]);
    try {
      const floor = await floorOnce(w);
      w.logstash.reset();
      const logstash = await exporterOnce(w);
      const bulkFloor = await bulkFloorOnce(w, bulkTarget);
      const elasticsearch = await exporterIntoSearchOnce(w, ecsTarget);
      const plain = await exporterIntoSearchOnce(w, plainTarget, {
        DOCUMENT_FORMAT: "extension",
        ELASTICSEARCH_GZIP: "false",
      });
      rows.push({
        floor: perSecond(events, floor.wallMs),
        logstash: perSecond(events, logstash.wallMs),
        bulkFloor: perSecond(events, bulkFloor.wallMs),
        elasticsearch: perSecond(events, elasticsearch.wallMs),
        plain: perSecond(events, plain.wallMs),
        logstashRatio: floor.wallMs / logstash.wallMs,
        elasticsearchRatio: floor.wallMs / elasticsearch.wallMs,
        elasticsearchBulkRatio: bulkFloor.wallMs / elasticsearch.wallMs,
        plainBulkRatio: bulkFloor.wallMs / plain.wallMs,
        logstashCpuPer1000: (logstash.cpuMs / events) * 1000,
        elasticsearchCpuPer1000: (elasticsearch.cpuMs / events) * 1000,
        plainCpuPer1000: (plain.cpuMs / events) * 1000,
        bulkFloorCpuPer1000: (bulkFloor.cpuMs / events) * 1000,
        logstashRss: logstash.maxRssMb,
        elasticsearchRss: elasticsearch.maxRssMb,
      });
    } finally {
      await Promise.all([bulkTarget.close(), ecsTarget.close(), plainTarget.close()]);
      await w.close();
    }
    const row = rows.at(-1);
    log(
      `elasticsearch ${i + 1}/${repeat}: floor ${row?.floor}/s, Logstash sink ${row?.logstash}/s, floor into a cluster ${row?.bulkFloor}/s, Elasticsearch sink ${row?.elasticsearch}/s (extension, no gzip: ${row?.plain}/s)`,
    );
  }
  const med = (key: string) => median(rows.map((r) => r[key] as number));
  return {
    events,
    floorEventsPerSecond: med("floor"),
    logstashEventsPerSecond: med("logstash"),
    bulkFloorEventsPerSecond: med("bulkFloor"),
    elasticsearchEventsPerSecond: med("elasticsearch"),
    plainEventsPerSecond: med("plain"),
    logstashRatio: med("logstashRatio"),
    elasticsearchRatio: med("elasticsearchRatio"),
    elasticsearchBulkRatio: med("elasticsearchBulkRatio"),
    plainBulkRatio: med("plainBulkRatio"),
    logstashCpuMsPer1000: med("logstashCpuPer1000"),
    elasticsearchCpuMsPer1000: med("elasticsearchCpuPer1000"),
    plainCpuMsPer1000: med("plainCpuPer1000"),
    bulkFloorCpuMsPer1000: med("bulkFloorCpuPer1000"),
    logstashPeakRssMb: med("logstashRss"),
    elasticsearchPeakRssMb: med("elasticsearchRss"),
    runs: rows,
  };
}
