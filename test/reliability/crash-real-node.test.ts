// The crash suite's cluster scenario against a real OpenSearch node (scripts/search-node): a
// backlog drained while the exporter is killed with SIGKILL at random moments, a third of them
// exactly between a send and its commit (the node has answered the _bulk, the exporter has not
// heard it: a proxy in front of the node kills it then), with 5 % faults on Auth0's side. Nothing
// may be lost, the checkpoint never moves back, and the node holds each event exactly once:
// _count equals the events, 0 duplicates.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../../simulator/faults.ts";
import { countOf, faultProxy, idCounts, uniqueTarget } from "../helpers/search-node.ts";
import { world } from "../helpers/world.ts";
import { killLoop } from "./kill-loop.ts";
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
    const { kills, killsBetweenSendAndCommit, executions } = await killLoop({
      kills: KILLS,
      random,
      env: w.env,
      dir: w.dir,
      // The instant the node has answered a _bulk, before the exporter hears it (the proxy).
      onDelivered: (hook) => {
        proxy.onBulkAnswer = hook;
      },
      deliveries: 10,
      timing: { minMs: 300, spanMs: 2000, waitMs: 60_000 },
      readCheckpoint,
      caughtUp: async () => (await readCheckpoint()) === w.tenant.eventIds().at(-1),
      moreEvents: () => w.tenant.addBacklog(2_000, 60_000),
    });
    const ids = w.tenant.eventIds();
    const counts = await idCounts(target);
    const missing = ids.filter((id) => !counts.has(id));
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const count = await countOf(target);
    const figures = {
      events: ids.length,
      kills,
      killsBetweenSendAndCommit,
      executions,
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
    assert.ok(killsBetweenSendAndCommit >= 5);
    assert.equal(await readCheckpoint(), ids.at(-1));
  });
});
