// The supervisor owns the set of jobs and their leases: whatever it begins, it can stop. A reload
// (SIGHUP) that removes a tenant while a round is claiming that very tenant leaves nothing behind.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../src/config/load.ts";
import type { Config } from "../src/config/types.ts";
import { StoreError } from "../src/errors.ts";
import type { JobStore, Store } from "../src/interfaces.ts";
import { Metrics } from "../src/metrics/prometheus.ts";
import { NullNotifier } from "../src/notify/notifier.ts";
import {
  holderFor,
  LEASE_TTL_MS,
  pidSpaceOf,
  REPLICA_LEASE_TTL_MS,
  thisPidSpace,
} from "../src/runner/lease.ts";
import { Supervisor } from "../src/runner/supervisor.ts";
import { openStore } from "../src/store/open.ts";
import { createLogger } from "../src/util/logger.ts";
import { runCli, tempDir } from "./helpers/cli.ts";
import { until } from "./helpers/poll.ts";
import { STORE_DRIVERS } from "./helpers/stores.ts";

type JobConfig = Config & { id: string };

const ENV = {
  AUTH0_DOMAIN: "acme.eu.auth0.com",
  AUTH0_CLIENT_ID: "abc",
  AUTH0_CLIENT_SECRET: "xyz",
  LOGSTASH_URL: "http://127.0.0.1:9",
  LOGSTASH_INDEX: "x",
  SCHEDULE: "1h",
};

function jobs(...ids: string[]): JobConfig[] {
  const config = loadConfig(ENV, { cwd: tempDir() });
  return ids.map((id) => ({ ...config, id }));
}

/** The store as it is, except that claiming `slow`'s lease takes 300 ms (a slow round trip). */
function slowClaims(store: Store, slow: string): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== "forJob") return Reflect.get(target, prop, receiver);
      return (id: string): JobStore => {
        const job = target.forJob(id);
        if (id !== slow) return job;
        const claim: JobStore["leases"]["claim"] = async (...args) => {
          await sleep(300);
          return job.leases.claim(...args);
        };
        return { ...job, leases: { ...job.leases, claim } };
      };
    },
  });
}

/** The store as it is, except that `id`'s first read of a job value fails (its runner's start). */
function failingFirstStart(store: Store, id: string): { store: Store; reads: () => number } {
  let reads = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== "forJob") return Reflect.get(target, prop, receiver);
      return (job: string): JobStore => {
        const real = target.forJob(job);
        if (job !== id) return real;
        const get: JobStore["state"]["get"] = async (key) => {
          if (++reads === 1) throw new StoreError("the store did not answer", { retryable: true });
          return real.state.get(key);
        };
        return { ...real, state: { ...real.state, get } };
      };
    },
  });
  return { store: wrapped, reads: () => reads };
}

function supervisorOf(t: TestContext, store: Store, configs: JobConfig[]): Supervisor {
  const supervisor = new Supervisor(configs, {
    store,
    logger: createLogger({ level: "silent", human: false }),
    observer: new Metrics({ defaults: false }),
    runsRetentionMs: 86_400_000,
    notifierFor: () => new NullNotifier(),
  });
  t.after(() => supervisor.stop(100));
  return supervisor;
}

for (const driver of STORE_DRIVERS) {
  describe(`supervisor: ${driver.name}`, () => {
    it("a tenant removed while the first claims are under way gets no runner and no lease", async (t) => {
      const root = await driver.open(t);
      const supervisor = supervisorOf(t, slowClaims(root, "b"), jobs("a", "b"));
      const started = supervisor.start();
      await sleep(100); // claiming b now
      await supervisor.reload(jobs("a"));
      await started;
      assert.deepEqual(
        supervisor.jobs().map((job) => job.id),
        ["a"],
      );
      assert.equal(supervisor.runner("b"), undefined);
      assert.equal(await root.forJob("b").leases.holder(), null, "nobody holds b");
      assert.ok(supervisor.runner("a"), "a is exported");
      await supervisor.stop(100);
      assert.equal(await root.forJob("a").leases.holder(), null, "stop hands a over");
    });

    it("a tenant added, then removed while a round is claiming it, gets no runner and no lease", async (t) => {
      const root = await driver.open(t);
      const supervisor = supervisorOf(t, slowClaims(root, "b"), jobs("a"));
      await supervisor.start();
      const adding = supervisor.reload(jobs("a", "b")); // b is claimed by the next round
      await sleep(150); // that round is claiming b now
      await supervisor.reload(jobs("a"));
      await adding;
      await sleep(400); // any claim under way has ended
      assert.equal(supervisor.runner("b"), undefined);
      assert.equal(await root.forJob("b").leases.holder(), null, "nobody holds b");
    });
  });
}

for (const driver of STORE_DRIVERS) {
  describe(`supervisor rounds: ${driver.name}`, () => {
    it("a runner whose start failed is not left holding its job half started: it gives it back, to be claimed and started again", async (t) => {
      const root = await driver.open(t);
      const { store, reads } = failingFirstStart(root, "a");
      const supervisor = supervisorOf(t, store, jobs("a"));
      if (driver.name === "SQLite") {
        // One process exports a SQLite store's jobs, all claimed before `run` goes on: its start
        // fails, and leaves the job to whoever starts next.
        await assert.rejects(supervisor.start(), /the store did not answer/);
        assert.equal(await root.forJob("a").leases.holder(), null, "nobody holds a");
        assert.equal(supervisor.runner("a"), undefined);
        return;
      }
      await supervisor.start();
      await until(() => reads() >= 2, { timeoutMs: 10_000, what: "a's runner starts again" });
      await until(async () => (await root.forJob("a").leases.holder()) !== null, {
        timeoutMs: 10_000,
        what: "a held",
      });
      const holder = await root.forJob("a").leases.holder();
      assert.equal(holder?.holder.id, supervisor.replica.id);
      assert.equal(holder?.epoch, 2, "claimed anew, not left half started under its first lease");
      assert.ok(supervisor.runner("a"));
    });

    it("a tenant held by no replica makes this one not ready, saying which, without asking the store", async (t) => {
      const root = await driver.open(t);
      // Another replica, alive and heard from, that claims nothing (its rounds are stuck): the
      // shares leave b to it, and nobody exports b.
      const stuck = { ...holderFor("run"), id: "elsewhere/1/boot:1:stuck" };
      const ttl = driver.name === "SQLite" ? LEASE_TTL_MS : REPLICA_LEASE_TTL_MS;
      const beat = () => root.replicas.heartbeat(stuck, ttl);
      await beat();
      const heartbeats = setInterval(() => void beat(), 500);
      t.after(() => clearInterval(heartbeats));
      const supervisor = supervisorOf(t, root, jobs("a", "b"));
      await supervisor.start();
      assert.deepEqual(supervisor.readiness(), [], "ready at first: a hand-over takes a round");
      await until(() => supervisor.readiness().length > 0, {
        timeoutMs: 20_000,
        what: "not ready",
      });
      assert.equal(supervisor.readiness().length, 1, supervisor.readiness().join("\n"));
      const held = supervisor.runner("a") ? "b" : "a";
      assert.match(
        supervisor.readiness()[0] ?? "",
        new RegExp(`^tenant ${held} has been held by no replica for \\d+s: nothing exports it$`),
      );
      // The stuck replica is gone for good: its share comes here, and this one is ready again.
      clearInterval(heartbeats);
      await root.replicas.leave(stuck);
      await until(() => supervisor.readiness().length === 0, {
        timeoutMs: 20_000,
        what: "ready again",
      });
      assert.ok(supervisor.runner("a") && supervisor.runner("b"));
    });
  });
}

describe("supervisor: a tenant taken over from a killed process", () => {
  it("closes the run it left running as interrupted, which `runs --outcome interrupted` lists", async (t) => {
    const dir = tempDir();
    const url = `sqlite:${join(dir, "state.sqlite")}`;
    const root = await openStore(url);
    t.after(() => root.close());
    // A `run` on this machine, killed during an execution: its lease and its run are left behind.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const pid = Number(dead.stdout.toString());
    const killed = {
      id: `${pidSpaceOf(thisPidSpace())}:${pid}:abcdef`,
      host: thisPidSpace().hostname,
      pid,
      command: "run",
      startedAt: new Date().toISOString(),
    };
    const job = root.forJob("default");
    assert.equal((await job.leases.claim(killed, 60_000, () => false)).held, true);
    const left = await job.runs.start("schedule", null, { holder: killed.id, epoch: 1 });

    const supervisor = supervisorOf(t, root, jobs("default"));
    await supervisor.start(); // its pid is dead on this host: taken over at once
    const run = await job.runs.get(left);
    assert.equal(run?.outcome, "interrupted");
    assert.match(run?.error ?? "", new RegExp(`\\(pid ${pid} on ${killed.host}\\) stopped`));
    await supervisor.stop(100);

    const listed = await runCli(
      ["runs", "--outcome", "interrupted"],
      { ...ENV, DATABASE_URL: url },
      dir,
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /interrupted/);
    assert.match(listed.stdout, new RegExp(`pid ${pid}`));
  });
});
