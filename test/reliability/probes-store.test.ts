// The outside probe's findings on the store, kept as tests so that they stay held
// (docs/reliability.md lists each): a SQLite store whose small volume fills while the service
// exports.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { tempDir } from "../helpers/cli.ts";
import { serviceFor } from "../helpers/service.ts";
import { world } from "../helpers/world.ts";

const STACK = /\n\s+at /;

/**
 * A fresh filesystem of `size` (tmpfs), unmounted after the test. Mounting needs root, as CI has:
 * without it the test fails, saying so, rather than skip what it is here to check.
 */
function smallVolume(t: TestContext, size: string): string {
  const dir = tempDir("a2l-volume-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], {
      stdio: "pipe",
    });
  } catch (error) {
    const said = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    throw new Error(
      `this test needs a ${size} filesystem of its own: mount -t tmpfs failed (${said}); run it as root, as CI does`,
    );
  }
  t.after(() => {
    // Lazy: the store's files may still be open when this runs; the mount goes once they close.
    execFileSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const free = (dir: string) => {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
};

describe("the SQLite store's volume filling while the service exports", () => {
  it("fails the execution with a clear disk-full StoreError; nothing is lost, and once space is freed the next execution delivers the rest", {
    timeout: 120_000,
  }, async (t) => {
    const volume = smallVolume(t, "2m");
    const w = await world(t, {
      tenant: { backlog: 3000 },
      env: { DATABASE_URL: `sqlite:${join(volume, "state.sqlite")}`, BATCH_SIZE: "10" },
    });
    const { service, store, lines } = await serviceFor(t, w);
    await service.start();
    // Most of the volume taken by something else: the store fills what is left mid-run.
    const ballast = join(volume, "ballast");
    writeFileSync(ballast, Buffer.alloc(Math.max(0, free(volume) - 256 * 1024)));
    await service.tick("schedule");
    assert.equal(free(volume), 0, "the volume filled");
    const failure = lines.find((line) => /"level":50/.test(line)) ?? "";
    assert.match(
      failure,
      /the store \S+state\.sqlite could not be written: database or disk is full \(disk full: free space on the store's volume; the next execution resumes from the checkpoint\)/,
    );
    // The checkpoint never passes an event Logstash did not get.
    const delivered = w.logstash.idCounts();
    const checkpoint = (await store.checkpoints.get()).checkpoint;
    const ids = w.tenant.eventIds();
    const upTo = checkpoint === null ? 0 : ids.indexOf(checkpoint) + 1;
    assert.ok(
      upTo > 0 && upTo < ids.length,
      `full mid-run: checkpoint at ${upTo} of ${ids.length}`,
    );
    assert.deepEqual(
      ids.slice(0, upTo).filter((id) => !delivered.has(id)),
      [],
    );
    // Still full: the next execution fails the same way, sends nothing it cannot commit.
    const [posts, failures] = [w.logstash.requests.length, lines.length];
    await service.tick("schedule");
    assert.equal((await store.checkpoints.get()).checkpoint, checkpoint);
    assert.ok(w.logstash.requests.length - posts <= 1, "at most the batch it could not commit");
    assert.match(lines.slice(failures).join(""), /"level":50.*disk full/);
    rmSync(ballast);
    await service.tick("schedule");
    assert.deepEqual(w.missing(), [], "every event arrived once space was freed");
    assert.equal((await store.checkpoints.get()).checkpoint, ids.at(-1));
    assert.doesNotMatch(lines.join(""), STACK);
  });
});
