// Renders bench results as the table between the markers of BENCHMARKS.md.

const START = "<!-- results:start -->";
const END = "<!-- results:end -->";

// biome-ignore lint/suspicious/noExplicitAny: the results are plain JSON written by bench/run.ts
type Any = Record<string, any>;

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const num = (x: number) => Math.round(x).toLocaleString("en-US");
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;

/** What each key of the results is called in the line saying where it was measured. */
const LABELS: Record<string, string> = {
  floor: "floor",
  drain: "drains",
  ratelimit: "rate limits",
  tail: "tail latency",
  stream: "Log Streams",
  slowLogstash: "slow Logstash",
  elasticsearch: "Elasticsearch sink",
  "opensearch-node": "real OpenSearch node",
  tenants: "tenants",
  store: "store commits",
  verify: "verify",
  footprint: "footprint",
};

/**
 * Where, when and how the rows were measured: with `--only`, rows of different runs (and
 * machines) stand side by side, so each run's machine, date and command is named with its rows.
 */
export function renderMeasured(output: Any): string {
  const measured: Any = output.measured ?? {};
  const keys = Object.keys(output.results);
  const machines = new Map<string, Map<string, string[]>>();
  for (const key of keys) {
    const m = measured[key] ?? output.machine;
    const host = `${m.cores} × ${m.cpu}, ${m.memoryGb} GiB, Node ${m.node}`;
    const run = `on ${m.date.slice(0, 10)} with \`${m.command}\`${m.note ? ` (${m.note})` : ""}`;
    const runs = machines.get(host) ?? new Map<string, string[]>();
    runs.set(run, [...(runs.get(run) ?? []), LABELS[key] ?? key]);
    machines.set(host, runs);
  }
  const parts = [...machines].map(([host, runs]) => {
    const each = [...runs].map(([run, labels]) => `${labels.join(", ")} ${run}`);
    return `Measured on ${host}: ${each.join("; ")}.`;
  });
  return `${parts.join(" ")} Medians of 3 runs unless noted; ratios are taken inside one run.`;
}

export function renderTable(output: Any): string {
  const { results } = output;
  const lines = [
    renderMeasured(output),
    "",
    "| scenario | figure | target | result |",
    "| --- | --- | --- | --- |",
  ];
  const f = results.floor;
  if (f) {
    lines.push(
      `| Floor vs exporter, ${num(f.events)} events | exporter ${num(f.exporterEventsPerSecond)} events/s, floor ${num(f.floorEventsPerSecond)} events/s | ≥ 70 % of the floor | ${pct(f.ratio)} ${f.ratio >= 0.7 ? "✅" : "❌"} |`,
      `| CPU per 1 000 events | exporter ${f.exporterCpuMsPer1000.toFixed(1)} ms, floor ${f.floorCpuMsPer1000.toFixed(1)} ms | — | — |`,
    );
  }
  const e = results.elasticsearch;
  if (e) {
    // The two sinks run back to back, so their ratios are as noisy as any two runs: 5 % is allowed.
    const ok = e.elasticsearchRatio >= e.logstashRatio * 0.95;
    const rssMb = Math.round(e.elasticsearchPeakRssMb);
    lines.push(
      `| Elasticsearch sink vs floor, ${num(e.events)} events | Elasticsearch sink ${num(e.elasticsearchEventsPerSecond)} events/s, Logstash sink ${num(e.logstashEventsPerSecond)} events/s, floor ${num(e.floorEventsPerSecond)} events/s | at least the Logstash sink's ratio (within 5 %, for noise) | ${pct(e.elasticsearchRatio)} vs ${pct(e.logstashRatio)} ${ok ? "✅" : "❌"} |`,
      ...(e.bulkFloorEventsPerSecond === undefined
        ? []
        : [
            `| Each sink against its own floor (into a cluster: each event a \`create\` action, unshaped, uncompressed) | Logstash sink ${pct(e.logstashRatio)} of the floor into Logstash; Elasticsearch sink ${pct(e.elasticsearchBulkRatio)} of the floor into a cluster (${num(e.bulkFloorEventsPerSecond)} events/s), ${pct(e.plainBulkRatio)} with the event as it came and no gzip (${num(e.plainEventsPerSecond)} events/s) | — | — |`,
          ]),
      `| CPU per 1 000 events (Elasticsearch sink) | Elasticsearch sink ${e.elasticsearchCpuMsPer1000.toFixed(1)} ms${e.plainCpuMsPer1000 === undefined ? "" : ` (${e.plainCpuMsPer1000.toFixed(1)} ms with the event as it came and no gzip; floor into a cluster ${e.bulkFloorCpuMsPer1000.toFixed(1)} ms)`}, Logstash sink ${e.logstashCpuMsPer1000.toFixed(1)} ms | — | — |`,
      `| Peak RSS (Elasticsearch sink) | Elasticsearch sink ${rssMb} MB, Logstash sink ${Math.round(e.logstashPeakRssMb)} MB | < 150 MB | ${rssMb} MB ${e.elasticsearchPeakRssMb < 150 ? "✅" : "❌"} |`,
    );
  }
  const o = results["opensearch-node"];
  if (o) {
    const variant = (key: string, label: string) =>
      `${label} ${num(o[`${key}EventsPerSecond`])} events/s (${pct(o[`${key}Ratio`])}, ${o[`${key}CpuMsPer1000`].toFixed(1)} ms CPU)`;
    lines.push(
      `| Elasticsearch sink into a real OpenSearch node vs the floor into it, ${num(o.events)} events (the node on the same two cores) | floor ${num(o.floorEventsPerSecond)} events/s (${o.floorCpuMsPer1000.toFixed(1)} ms CPU per 1 000 events); ${variant("ecsGzip", "ECS + gzip")}, ${variant("ecs", "ECS")}, ${variant("extensionGzip", "extension + gzip")}, ${variant("extension", "extension")} | — | — |`,
    );
  }
  const d = results.drain;
  if (d) {
    for (const drain of d.drains) {
      lines.push(
        `| Unthrottled drain, ${num(drain.events)} events | ${num(drain.eventsPerSecond)} events/s, ${drain.cpuMsPer1000.toFixed(1)} ms CPU per 1 000 | peak RSS < 150 MB | ${drain.peakRssMb} MB ${drain.peakRssMb < 150 ? "✅" : "❌"} |`,
      );
    }
    if (d.rssGrowth !== null) {
      lines.push(
        `| RSS growth, 100 000 → 1 000 000 | ${pct(d.rssGrowth)} | within 10 % | ${Math.abs(d.rssGrowth) <= 0.1 ? "✅" : "❌"} |`,
      );
    }
  }
  for (const r of results.ratelimit ?? []) {
    // Rows of before AUTH0_RATE_LIMIT_SHARE: the whole allowance was the target.
    const share = r.share ?? 1;
    const under = r.minutesUnder20 ?? 0;
    const ok = Math.abs(r.shareOfAllowance - share) <= 0.05 && r.rateLimited === 0 && under === 0;
    const at =
      r.share === undefined
        ? ""
        : `, AUTH0_RATE_LIMIT_SHARE ${pct(share)}${r.isDefault ? " (default)" : ""}`;
    lines.push(
      `| Rate limit: ${r.plan}${at} (1 run) | ${num(r.eventsPerSecond)} events/s over ${r.seconds.toFixed(0)} s, ${r.requests} requests, ${r.rateLimited} × 429, ${under} minutes under 20 % | within 5 % of ${pct(share)} of the allowance, 0 × 429, 0 minutes under 20 % | ${pct(r.shareOfAllowance)} ${ok ? "✅" : "❌"} |`,
    );
  }
  const v = results.verify;
  if (v) {
    const ok = Math.abs(v.shareOfAllowance - v.share) <= 0.05 && v.rateLimited === 0;
    lines.push(
      `| \`verify\` of ${num(v.events)} events in a fake cluster, ${v.missing} removed (1 run) | ${num(v.eventsPerSecond)} events verified/s unthrottled, ${v.cpuMsPer1000.toFixed(0)} ms CPU per 1 000, peak RSS ${num(v.peakRssMb)} MB; exactly the ${v.missing} removed reported missing | — | — |`,
      `| \`verify\` under ${v.plan}, AUTH0_RATE_LIMIT_SHARE ${pct(v.share)} (1 run) | ${num(v.pacedEventsPerSecond)} events verified/s over ${v.pacedSeconds.toFixed(0)} s, ${v.requests} requests, ${v.rateLimited} × 429 | within 5 % of ${pct(v.share)} of the allowance, 0 × 429 | ${pct(v.shareOfAllowance)} ${ok ? "✅" : "❌"} |`,
    );
  }
  const t = results.tail;
  if (t) {
    const ok = t.p95Ms < t.pollIntervalMs + 1000;
    lines.push(
      `| Tail latency, 50 events/s live, TAIL_INTERVAL ${t.pollIntervalMs} ms (1 run) | p50 ${num(t.p50Ms)} ms, p95 ${num(t.p95Ms)} ms, p99 ${num(t.p99Ms)} ms over ${num(t.events)} events, ${t.missing} missing | p95 < poll interval + 1 s | ${ok ? "✅" : "❌"} |`,
    );
  }
  const ls = results.stream;
  if (ls) {
    const { byStream: b, byTail: bt } = ls;
    lines.push(
      `| Latency by Log Stream vs TAIL at 1 s, 50 events/s live (1 run each) | stream p50 ${num(b.p50Ms)} ms, p95 ${num(b.p95Ms)} ms, p99 ${num(b.p99Ms)} ms over ${num(b.events)} events (${b.missing} missing); TAIL p50 ${num(bt.p50Ms)} ms, p95 ${num(bt.p95Ms)} ms, p99 ${num(bt.p99Ms)} ms | stream p95 < 1 s | ${num(b.p95Ms)} ms ${b.p95Ms < 1000 ? "✅" : "❌"} |`,
      `| Management API requests per hour to stay fresh | stream + sweep every 5 min: ${num(b.managementApiRequestsPerHour)}; TAIL at 1 s: ${num(bt.managementApiRequestsPerHour)} | — | — |`,
    );
    for (const [key, label] of [
      ["backlogIntoLogstash", "the Logstash fake"],
      ["backlogIntoCluster", "a fake cluster"],
    ] as const) {
      const r = ls[key];
      if (!r) continue;
      const target = key === "backlogIntoLogstash";
      lines.push(
        `| A resumed stream's backlog, ${num(r.events)} events pushed into the intake, into ${label} (1 run) | ${num(r.eventsPerSecond)} events/s, ${r.cpuMsPer1000Events.toFixed(1)} ms CPU per 1 000 events (the service's whole run), peak RSS ${r.maxRssMb} MB, ${num(r.received)} received | ${target ? "≥ 10 000 events/s" : "—"} | ${target ? `${r.eventsPerSecond >= 10_000 ? "✅" : "❌"}` : "—"} |`,
      );
    }
  }
  const s = results.slowLogstash;
  if (s) {
    lines.push(
      `| Logstash and Auth0 each answering after ${s.delayMs} ms, ${num(s.events)} events | ${num(s.eventsPerSecond)} events/s; in lockstep at most ${num(s.sequentialEventsPerSecond)}, fully overlapped at most ${num(s.overlappedEventsPerSecond)} | reading overlaps sending | ${pct(s.shareOfOverlapBound)} of the overlapped bound ${s.eventsPerSecond > s.sequentialEventsPerSecond ? "✅" : "❌"} |`,
    );
  }
  const n = results.tenants;
  if (n) {
    const below = n.belowTarget.map((b: Any) => `${b.id} ${pct(b.shareOfAllowance)}`).join(", ");
    const verdict =
      n.belowTarget.length === 0
        ? `all ${n.tenants} ✅`
        : `${n.belowTarget.length} of ${n.tenants} below: ${below} ❌`;
    lines.push(
      `| ${n.tenants} tenants in one process, each ${n.plan}, ${n.windowSeconds} s (1 run) | ${num(n.eventsPerSecond)} events/s in all, ${num(n.requests)} requests, ${n.rateLimited} × 429; each tenant's share of its allowance: lowest ${pct(n.minShareOfAllowance)}, median ${pct(n.medianShareOfAllowance)} | every tenant ≥ 95 % of its allowance | ${verdict} |`,
      `| CPU and memory, ${n.tenants} tenants in one process | ${n.cpuSecondsPerTenantMinute.toFixed(2)} CPU s per tenant-minute; peak RSS ${n.peakRssMb} MB, ${n.peakRssMbPerTenant.toFixed(1)} MB per tenant (one tenant alone ${n.alonePeakRssMb} MB: ${n.addedRssMbPerTenant.toFixed(1)} MB per added tenant) | — | — |`,
    );
  }
  const st = results.store;
  for (const row of st?.stores ?? []) {
    const store = row.store === "sqlite" ? "SQLite" : `PostgreSQL (pool of ${row.poolSize})`;
    for (const [phase, jobs] of [
      [row.sequential, "1 job"],
      [row.concurrent, `${st.jobs} jobs at once`],
    ]) {
      lines.push(
        `| Checkpoint commits of ${st.eventsPerCommit}-event pages, ${store}, ${jobs} | ${num(phase.commitsPerSecond)} commits/s, p50 ${ms(phase.p50Ms)}, p99 ${ms(phase.p99Ms)} | — | — |`,
      );
    }
  }
  if (st?.postgresSkipped) {
    lines.push(`| Checkpoint commits, PostgreSQL | not measured: ${st.postgresSkipped} | — | — |`);
  }
  const fp = results.footprint;
  if (fp) {
    const rss = (r: Any) =>
      `${r.rssMb} MB (${r.anonymousMb} MB its own, ${r.fileMb} MB pages of the node binary and libraries)`;
    lines.push(
      `| Installed package (the tarball with production dependencies, as the image installs it) | tarball ${num(fp.tarballKb)} kB; ${fp.installedMb} MB installed, ${fp.packages} package.json files (ours ${fp.packageMb} MB) | — | — |`,
      `| Cold start of run to /readyz 200 (installed package, ${fp.coldStart.runs.length} runs) | ${fp.coldStart.medianMs} ms | — | — |`,
      `| Idle RSS of run with the dashboard, at ready | ${rss(fp.idle.atReady)} | — | — |`,
      `| Idle RSS of run after a 5 000-event drain and ${fp.idle.seconds} s of executions every 10 s | ${rss(fp.idle.atEnd)} | < 80 MB | ${fp.idle.atEnd.rssMb < 80 ? "✅" : "❌"} |`,
      `| RSS of run draining ${num(fp.draining.events)} events | ${num(fp.draining.eventsPerSecond)} events/s from the spawn; peak ${rss(fp.draining.peak)}, median ${fp.draining.median.rssMb} MB | — | — |`,
      "| Container image size | not measured: no container runtime on the bench machine | — | — |",
    );
  }
  return lines.join("\n");
}

export function renderBenchmarks(current: string, output: Any): string {
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start < 0 || end < 0)
    return `${current.trimEnd()}\n\n${START}\n${renderTable(output)}\n${END}\n`;
  return `${current.slice(0, start + START.length)}\n${renderTable(output)}\n${current.slice(end)}`;
}
