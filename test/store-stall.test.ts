// PostgreSQL that stops answering while every socket stays open (a hung pooler, a cloud SQL proxy
// whose backend is gone, a NAT that dropped the connections' state): every store call still ends
// within DATABASE_TIMEOUT, /readyz says at once that the service is not ready and why, and once
// the path heals the tenant is claimed again and exported, with nothing lost.

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { StoreError } from "../src/errors.ts";
import type { Store } from "../src/interfaces.ts";
import { holderFor } from "../src/runner/lease.ts";
import { openStore } from "../src/store/open.ts";
import { until } from "./helpers/poll.ts";
import { postgresUrl } from "./helpers/postgres.ts";
import { serviceFor } from "./helpers/service.ts";
import { POSTGRES } from "./helpers/stores.ts";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.ts";
import { world } from "./helpers/world.ts";

/** DATABASE_URL through a proxy the test can stall, or null without a PostgreSQL server. */
async function proxied(t: TestContext, url: string): Promise<{ url: string; proxy: TcpProxy }> {
  const direct = new URL(url);
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  t.after(() => proxy.close());
  const via = new URL(direct);
  via.host = proxy.address;
  return { url: via.toString(), proxy };
}

/** `work`'s outcome, or "no answer" after `ms`: a call that hangs must not hang the test. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | "no answer"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"no answer">((resolve) => {
    timer = setTimeout(() => resolve("no answer"), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("PostgreSQL that stops answering, sockets open", () => {
  it("every store call fails within DATABASE_TIMEOUT with a retryable StoreError, and the store answers again after the heal", async (t) => {
    const direct = await postgresUrl(t);
    const { url, proxy } = await proxied(t, direct);
    const store: Store = await openStore(url, { timeoutMs: 1000 });
    t.after(() => store.close());
    const job = store.forJob("a");
    const holder = holderFor("run");
    // Connections open and idle in the pool: the stall takes them as they are.
    await Promise.all([job.checkpoints.get(), job.runs.list({ limit: 1 }), store.verify()]);

    proxy.stall();
    const calls: [string, () => Promise<unknown>][] = [
      ["a read", () => job.checkpoints.get()],
      ["a lease claim (a transaction)", () => job.leases.claim(holder, 15_000, () => false)],
      ["a heartbeat", () => store.replicas.heartbeat(holder, 15_000)],
      ["a process value", () => store.process.get("x")],
    ];
    // Each alone, then all at once (more than the idle connections: new ones are opened, and
    // never answered either).
    const attempts = [
      ...calls.map(([what, call]) => ({ what, call })),
      ...calls.flatMap(([what, call]) => [1, 2, 3].map(() => ({ what, call }))),
    ];
    for (const batch of [attempts.slice(0, calls.length), attempts.slice(calls.length)]) {
      const outcomes = await Promise.all(
        batch.map(({ call }) =>
          within(
            10_000,
            call().then(
              () => "answered",
              (e: unknown) => e,
            ),
          ),
        ),
      );
      outcomes.forEach((outcome, i) => {
        const what = batch[i]?.what;
        assert.notEqual(outcome, "no answer", `${what} still waits after 10 s`);
        assert.ok(outcome instanceof StoreError, `${what}: ${String(outcome)}`);
        assert.equal(outcome.retryable, true, `${what}: ${outcome.message}`);
        assert.match(outcome.message, /did not answer within 1s \(DATABASE_TIMEOUT\)/);
        assert.doesNotMatch(outcome.message, /\n\s+at /);
      });
    }
    const verified = await within(
      10_000,
      store.verify().catch((e: unknown) => e),
    );
    assert.ok(verified instanceof StoreError, String(verified));
    assert.match(verified.message, /cannot be reached: .*DATABASE_TIMEOUT/);

    proxy.heal();
    // The stalled connections are closed, not handed out again: the first calls get answers.
    assert.equal((await job.checkpoints.get()).checkpoint, null);
    const claim = await job.leases.claim(holder, 15_000, () => false);
    assert.equal(claim.held, true);
    await store.verify();
  });

  it("a service behind it: /readyz answers at once, not ready and why, and after the heal the tenant is claimed again and exported", {
    timeout: 120_000,
  }, async (t) => {
    const w = await world(t, { tenant: { backlog: 30 }, store: POSTGRES });
    const { url, proxy } = await proxied(t, w.env.DATABASE_URL as string);
    const { service, supervisor, metrics, app } = await serviceFor(t, w, {
      DATABASE_URL: url,
      DATABASE_TIMEOUT: "1s",
      SCHEDULE: "1s",
    });
    const ready = async () => {
      const answer = await within(1000, Promise.resolve(app.request("/readyz")));
      if (answer === "no answer") throw new Error("/readyz did not answer within 1 s");
      return { status: answer.status, text: await answer.text() };
    };
    const held = async () =>
      /^auth0_logs_exporter_tenants_held (\d+)$/m.exec(await metrics.registry.metrics())?.[1];
    await service.start();
    await until(() => w.missing().length === 0, {
      timeoutMs: 30_000,
      what: "the backlog is exported",
    });
    // and committed: a stall during the commit would leave it to be sent again (at least once).
    await until(async () => /outcome="success"\} [1-9]/.test(await metrics.registry.metrics()), {
      timeoutMs: 30_000,
      what: "the backlog is committed",
    });
    assert.equal((await ready()).status, 200);

    proxy.stall();
    w.tenant.addEvents(20);
    // The lease is renewed through the stalled path, and lapses: this replica steps down.
    let notReady: { status: number; text: string } | null = null;
    await until(
      async () => {
        const answer = await ready();
        if (answer.status === 503) notReady = answer;
        return supervisor.runner("default") === undefined;
      },
      { timeoutMs: 30_000, what: "the lease lapses" },
    );
    const answer = await ready();
    assert.equal(answer.status, 503);
    assert.match(answer.text, /store unreachable: .*did not answer within 1s \(DATABASE_TIMEOUT\)/);
    assert.ok(notReady, "not ready while the lease was still held, too");
    assert.equal(await held(), "0");

    proxy.heal();
    await until(() => w.missing().length === 0, {
      timeoutMs: 60_000,
      what: "the events added during the stall arrive",
    });
    assert.ok(supervisor.runner("default"), "the tenant is held again");
    assert.equal(await held(), "1");
    await until(async () => (await ready()).status === 200, {
      timeoutMs: 15_000,
      what: "/readyz says ready again",
    });
    assert.deepEqual(w.duplicates(), []);
  });
});
