// A job's lease as its holder keeps it: which dead holders it may take over without waiting, and
// when it steps back on its own because it could not be sure the lease was still its own.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import type { JobStore, LeaseHolder } from "../src/interfaces.ts";
import {
  holderFor,
  isDeadOnThisHost,
  JobLease,
  pidSpaceOf,
  thisPidSpace,
} from "../src/runner/lease.ts";

/** The pid of a process that has just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

const holderIn = (space: string, pid: number): LeaseHolder => ({
  id: `${space}:${pid}:abcdef`,
  host: thisPidSpace().hostname,
  pid,
  command: "run",
  startedAt: new Date().toISOString(),
});

describe("lease holders", () => {
  it("names this machine's boot in the holder's id, not only its host name and pid namespace", () => {
    const facts = thisPidSpace();
    const id = holderFor("run").id;
    assert.ok(id.startsWith(`${pidSpaceOf(facts)}:${process.pid}:`), id);
    if (facts.bootId !== "") assert.ok(id.includes(facts.bootId), id);
  });

  it("takes over a dead holder at once only when it ran on this very machine and boot", () => {
    const pid = deadPid();
    const here = thisPidSpace();
    assert.equal(isDeadOnThisHost(holderIn(pidSpaceOf(here), pid)), true);
    // Another machine with the same host name and the initial pid namespace (whose inode is the
    // same on every machine): its pids say nothing about ours; its lease must expire.
    const twin = pidSpaceOf({ ...here, bootId: "another-machine-boot-id" });
    assert.notEqual(twin, pidSpaceOf(here));
    assert.equal(isDeadOnThisHost(holderIn(twin, pid)), false);
    // Nor is a live process of this machine taken for dead.
    assert.equal(isDeadOnThisHost(holderIn(pidSpaceOf(here), process.ppid)), false);
  });
});

describe("a lease's step back", () => {
  it("counts from when the renewal was sent, not from when its answer came back", async (t) => {
    // The monotonic clock and the renewal timer are the test's: no waiting on real time.
    let clock = 0;
    t.mock.method(performance, "now", () => clock);
    t.mock.timers.enable({ apis: ["setInterval"] });
    const renewals: number[] = [];
    const store = {
      job: "default",
      leases: {
        claim: async () => ({ held: true, epoch: 1 }),
        renew: async () => {
          renewals.push(clock);
          if (renewals.length > 1) return new Promise<boolean>(() => {}); // cut off from now on
          clock += 500; // the database answered, but its answer took 500 ms to arrive
          return true;
        },
        release: async () => {},
      },
    } as unknown as JobStore;
    const ttlMs = 1_000;
    const lease = await JobLease.tryClaim(store, holderFor("run"), ttlMs);
    assert.ok(lease instanceof JobLease);
    t.after(() => lease.release());
    const flush = () => new Promise((resolve) => setImmediate(resolve));

    clock = 100; // the renewal leaves: the database's expiry is now 100 + 1 000
    t.mock.timers.tick(ttlMs / 3 + 1);
    await flush();
    assert.deepEqual(renewals, [100]);
    assert.equal(lease.lost.aborted, false);

    // 0.8 × the lease after the renewal left, the lease may be gone within the clock skew it
    // allows for: step back, although the answer arrived only 350 ms ago.
    clock = 950;
    t.mock.timers.tick(ttlMs / 3 + 1);
    await flush();
    assert.equal(lease.lost.aborted, true, "stepped back 0.8 × ttl after the renewal left");
    assert.match(String(lease.lost.reason?.message), /not renewed in time/);
  });
});
