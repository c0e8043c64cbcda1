// npm pack's prepack and postpack: the package ships the lockfile as npm-shrinkwrap.json, so that
// an install from the registry (npm install -g, npx) gets the dependency versions the tests ran
// with, as npm advises for command-line tools; a production install skips the devDependencies it
// lists. The checkout keeps package-lock.json as its lockfile (npm ci, Dependabot, CI): the
// shrinkwrap exists only while npm packs, since npm prefers it to package-lock.json when present.
// Usage: node scripts/shrinkwrap.ts [--remove]

import { copyFileSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url);
const shrinkwrap = new URL("npm-shrinkwrap.json", root);
if (process.argv.includes("--remove")) rmSync(shrinkwrap, { force: true });
else copyFileSync(new URL("package-lock.json", root), shrinkwrap);
