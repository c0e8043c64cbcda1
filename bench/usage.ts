// Loaded with --import into a measured process: at exit it writes its CPU time, peak RSS and the
// peaks of the V8 heap and of memory outside it, as one JSON line to BENCH_USAGE_FILE, so the
// bench reads figures of that process only.

import { writeFileSync } from "node:fs";

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  const peak = { heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };
  const sample = () => {
    const memory = process.memoryUsage();
    peak.heapUsedMb = Math.max(peak.heapUsedMb, memory.heapUsed / 2 ** 20);
    peak.externalMb = Math.max(peak.externalMb, memory.external / 2 ** 20);
    peak.arrayBuffersMb = Math.max(peak.arrayBuffersMb, memory.arrayBuffers / 2 ** 20);
  };
  setInterval(sample, 250).unref();
  process.on("exit", () => {
    sample();
    const usage = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({
        userMs: usage.userCPUTime / 1000,
        systemMs: usage.systemCPUTime / 1000,
        maxRssKb: usage.maxRSS,
        ...peak,
      }),
    );
  });
}
