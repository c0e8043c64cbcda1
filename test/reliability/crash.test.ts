// Crash safety, for each sink: a 50 000-event backlog (more if it drains before 30 kills) drained
// while the exporter is killed with SIGKILL at random moments, some of them exactly between a send
// and its commit, with 5 % faults on both sides. Nothing may be lost and the checkpoint never
// moves back; into Logstash, duplicates stay within what was in flight; into Elasticsearch, where
// each document's id is its log_id, there are none.

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { seededRandom } from "../../simulator/faults.ts";
import { STORE_DRIVERS } from "../helpers/stores.ts";
import { world } from "../helpers/world.ts";
import { killLoop } from "./kill-loop.ts";
import { report } from "./report.ts";

const EVENTS = 50_000;
const KILLS = 30;

const SINKS = ["logstash", "elasticsearch"] as const;

for (const [sink, driver] of SINKS.flatMap((s) => STORE_DRIVERS.map((d) => [s, d] as const))) {
  describe(`into ${sink}, stored in ${driver.kind}`, () => {
    it("loses nothing across 30 SIGKILLs and 5 % faults on both sides", {
      timeout: 600_000,
    }, async (t) => {
      const elasticsearch = sink === "elasticsearch";
      const w = await world(t, {
        store: driver,
        tenant: {
          backlog: EVENTS,
          slowMs: 1200,
          faults: {
            rate: 0.05,
            seed: 3,
            kinds: [
              "429",
              "500-html",
              "503",
              "reset",
              "truncated",
              "slow",
              "expired-token",
              "non-json",
            ],
          },
        },
        logstash: {
          slowMs: 1200,
          faults: {
            rate: 0.05,
            seed: 5,
            kinds: ["429", "500", "503", "reset-before", "reset-after", "slow"],
          },
        },
        ...(elasticsearch
          ? {
              search: {
                slowMs: 1200,
                faults: {
                  rate: 0.05,
                  seed: 5,
                  kinds: [
                    "429",
                    "503",
                    "reset-before",
                    "reset-after",
                    "slow",
                    "item-429",
                    "item-503",
                  ] as const,
                },
              },
            }
          : {}),
        env: { RETRY_MAX_TIME: "60s", REQUEST_TIMEOUT: "1s", EXPORTER_LOG_LEVEL: "warn" },
      });
      w.tenant.tokenFaults.set({ rate: 0.05, seed: 9, kinds: ["503", "429", "reset"] });
      const random = seededRandom(42);
      const readCheckpoint = () =>
        w.withStore(async (store) => (await store.forJob("default").checkpoints.get()).checkpoint);
      // The instant the sink has the batch, before the exporter hears so.
      const onDelivered = (hook: (() => void) | undefined) => {
        if (elasticsearch) {
          (w.search as unknown as { options: { onIndexed?: () => void } }).options.onIndexed = hook;
        } else {
          (w.logstash as unknown as { options: { onRecorded?: () => void } }).options.onRecorded =
            hook;
        }
      };
      const {
        kills,
        killsBetweenSendAndCommit: betweenSendAndCommit,
        executions: runs,
      } = await killLoop({
        kills: KILLS,
        random,
        env: w.env,
        dir: w.dir,
        onDelivered,
        deliveries: 20,
        timing: { minMs: 200, spanMs: 1500, waitMs: 30_000 },
        readCheckpoint,
        caughtUp: () => w.missing().length === 0,
        moreEvents: () => w.tenant.addBacklog(5_000, 60_000),
      });
      const missing = w.missing();
      const counts = elasticsearch
        ? (w.search as NonNullable<typeof w.search>).idCounts()
        : w.logstash.idCounts();
      const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
      const sinkFaults = elasticsearch
        ? (w.search as NonNullable<typeof w.search>).faults.injected
        : w.logstash.faults.injected;
      const injected = (faults: Map<string, number>) => Object.fromEntries(faults);
      // A duplicate needs a batch that arrived but whose acknowledgement was lost: a kill, a reset
      // after recording, or a slow answer that timed out. Each is one batch of at most 100 events.
      const lostAcks =
        kills +
        ((sinkFaults as Map<string, number>).get("reset-after") ?? 0) +
        ((sinkFaults as Map<string, number>).get("slow") ?? 0);
      const integrity =
        driver.kind === "sqlite"
          ? (
              new DatabaseSync(join(w.dir, "state.sqlite"), { readOnly: true })
                .prepare("PRAGMA integrity_check")
                .get() as { integrity_check: string }
            ).integrity_check
          : "ok";
      const { lastMove, last } = await w.withStore(async (store) => ({
        lastMove: await store.forJob("default").checkpoints.lastMove(),
        last: (await store.forJob("default").checkpoints.get()).checkpoint,
      }));
      const figures = {
        events: w.tenant.log.size,
        kills,
        killsBetweenSendAndCommit: betweenSendAndCommit,
        executions: runs,
        faultsInjected: {
          auth0: injected(w.tenant.logFaults.injected),
          auth0Token: injected(w.tenant.tokenFaults.injected),
          [sink]: injected(sinkFaults as Map<string, number>),
        },
        lost: missing.length,
        duplicates,
        duplicateBound: lostAcks * 100,
      };
      report(
        `${elasticsearch ? "crash-elasticsearch" : "crash"}${driver.kind === "postgres" ? "-postgres" : ""}`,
        figures,
      );
      t.diagnostic(JSON.stringify(figures));
      assert.deepEqual(missing, [], "zero loss");
      assert.equal(kills, KILLS);
      assert.ok(betweenSendAndCommit >= 8);
      if (elasticsearch) {
        assert.equal(duplicates, 0, "each document indexed once, by its log_id");
      } else {
        assert.ok(
          duplicates <= lostAcks * 100,
          `${duplicates} duplicates > ${lostAcks} lost acknowledgements × 100`,
        );
      }
      assert.equal(integrity, "ok");
      assert.equal(lastMove?.reason, "initial", "moved back only by replay (none here)");
      assert.equal(last, w.tenant.eventIds().at(-1));
    });
  });
}
