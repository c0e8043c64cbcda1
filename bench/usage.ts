// Loaded with --import into a measured process: at exit it writes its CPU time and peak RSS as one
// JSON line to the file named by BENCH_USAGE_FILE, so the bench reads figures of that process only.

import { writeFileSync } from "node:fs";

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({
        userMs: usage.userCPUTime / 1000,
        systemMs: usage.systemCPUTime / 1000,
        maxRssKb: usage.maxRSS,
      }),
    );
  });
}
