// The crash suite's cluster scenario against a real OpenSearch node (scripts/search-node): a
// backlog drained while the exporter is killed with SIGKILL at random moments, a third of them
// exactly between a send and its commit (the node has answered the _bulk, the exporter has not
// heard it: a proxy in front of the node kills it then), with 5 % faults on Auth0's side. Nothing
// may be lost, the checkpoint never moves back, and the node holds each event exactly once:
// _count equals the events, 0 duplicates.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../../simulator/faults.ts";
import { spawnCli } from "../helpers/cli.ts";
import { countOf, faultProxy, idCounts, uniqueTarget } from "../helpers/search-node.ts";
import { world } from "../helpers/world.ts";
import { report } from "./report.ts";

const EVENTS = 20_000;
const KILLS = 20;

describe("into a real OpenSearch node", () => {
  it(`loses nothing and indexes nothing twice across ${KILLS} SIGKILLs, a third between send and commit`, {
    timeout: 600_000,
  }, async (t) => {
    const proxy = await faultProxy();
    t.after(() => proxy.close());
    const target = uniqueTarget("crash");
    const w = await world(t, {
      cluster: proxy.url,
      tenant: {
        backlog: EVENTS,
        slowMs: 1200,
        faults: { rate: 0.05, seed: 3, kinds: ["429", "500-html", "503", "reset", "slow"] },
      },
      env: {
        ELASTICSEARCH_INDEX: target,
        RETRY_MAX_TIME: "60s",
        REQUEST_TIMEOUT: "5s",
        EXPORTER_LOG_LEVEL: "warn",
      },
    });
    const random = seededRandom(42);
    const readCheckpoint = () =>
      w.withStore(async (store) => (await store.forJob("default").checkpoints.get()).checkpoint);
    const observed: string[] = [];
    let kills = 0;
    let betweenSendAndCommit = 0;
    let runs = 0;
    let last: string | null = null;
    while (kills < KILLS) {
      runs++;
      const run = spawnCli(["once"], w.env, w.dir);
      const atAnswer = kills % 3 === 0;
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        run.child.kill("SIGKILL");
      };
      if (atAnswer) {
        const after = 1 + Math.floor(random() * 10);
        let seen = 0;
        proxy.onBulkAnswer = () => {
          if (++seen === after) kill();
        };
      }
      const timer = setTimeout(kill, atAnswer ? 60_000 : 300 + Math.floor(random() * 2000));
      const result = await run.done;
      clearTimeout(timer);
      proxy.onBulkAnswer = undefined;
      if (killed) {
        kills++;
        if (atAnswer) betweenSendAndCommit++;
      } else {
        assert.ok(
          result.code === 0 || result.code === 1,
          `exit ${result.code}: ${result.stderr.slice(-400)}`,
        );
      }
      last = await readCheckpoint();
      if (last !== null) {
        const previous = observed.at(-1);
        assert.ok(previous === undefined || last >= previous, "the checkpoint never moves back");
        observed.push(last);
      }
      if (!killed && result.code === 0 && last === w.tenant.eventIds().at(-1)) {
        // Caught up before enough kills: more events, more chances to kill.
        w.tenant.addBacklog(2_000, 60_000);
      }
    }
    for (
      let attempt = 0;
      attempt < 10 && (await readCheckpoint()) !== w.tenant.eventIds().at(-1);
      attempt++
    ) {
      await spawnCli(["once"], w.env, w.dir).done;
      runs++;
    }
    const ids = w.tenant.eventIds();
    const counts = await idCounts(target);
    const missing = ids.filter((id) => !counts.has(id));
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const count = await countOf(target);
    const figures = {
      events: ids.length,
      kills,
      killsBetweenSendAndCommit: betweenSendAndCommit,
      executions: runs,
      faultsInjected: { auth0: Object.fromEntries(w.tenant.logFaults.injected) },
      lost: missing.length,
      duplicates,
      count,
    };
    report("crash-opensearch-node", figures);
    t.diagnostic(JSON.stringify(figures));
    assert.deepEqual(missing, [], "zero loss");
    assert.equal(duplicates, 0, "each document indexed once, by its log_id");
    assert.equal(count, ids.length, "_count on the node equals the events");
    assert.equal(kills, KILLS);
    assert.ok(betweenSendAndCommit >= 5);
    assert.equal(await readCheckpoint(), ids.at(-1));
  });
});
