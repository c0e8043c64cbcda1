// npm run build (and prepack): compiles src/ to dist/ with the TypeScript compiler, copies what
// the code reads at run time beside it (the dashboard's files, the SQL migrations, the event
// types table), and makes the binary executable. The simulator stays out: it serves the tests,
// the benchmarks and the demo of a checkout.

import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, globSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")],
  { stdio: "inherit" },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const assets = [
  "src/web/public/*",
  "src/store/*/migrations/*.sql",
  "src/pipeline/auth0-log-types.tsv",
];
let copied = 0;
for (const pattern of assets) {
  for (const file of globSync(pattern, { cwd: root })) {
    const target = join(dist, relative("src", file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(root, file), target);
    copied++;
  }
}
chmodSync(join(dist, "cli/bin.js"), 0o755);
process.stdout.write(`dist/: compiled src/, copied ${copied} files it reads at run time\n`);
