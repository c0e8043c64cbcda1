// The supervisor owns the set of jobs and their leases: whatever it begins, it can stop. A reload
// (SIGHUP) that removes a tenant while a round is claiming that very tenant leaves nothing behind.

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../src/config/load.ts";
import type { Config } from "../src/config/types.ts";
import type { JobStore, Store } from "../src/interfaces.ts";
import { NullNotifier } from "../src/notify/notifier.ts";
import { Supervisor } from "../src/runner/supervisor.ts";
import { createLogger } from "../src/util/logger.ts";
import { Metrics } from "../src/web/metrics.ts";
import { tempDir } from "./helpers/cli.ts";
import { STORE_DRIVERS } from "./helpers/stores.ts";

type JobConfig = Config & { id: string };

function jobs(...ids: string[]): JobConfig[] {
  const config = loadConfig(
    {
      AUTH0_DOMAIN: "acme.eu.auth0.com",
      AUTH0_CLIENT_ID: "abc",
      AUTH0_CLIENT_SECRET: "xyz",
      LOGSTASH_URL: "http://127.0.0.1:9",
      LOGSTASH_INDEX: "x",
      SCHEDULE: "1h",
    },
    { cwd: tempDir() },
  );
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

function supervisorOf(t: TestContext, store: Store, configs: JobConfig[]): Supervisor {
  const supervisor = new Supervisor(configs, {
    store,
    logger: createLogger({ level: "silent", human: false }),
    metrics: new Metrics({ defaults: false }),
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
