// Long outages on either side, and a store pulled from under a running service: the exporter keeps
// retrying across executions without growing, skips nothing, recovers by itself, and tells Slack
// once when it breaks and once when it recovers.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { startSlack } from "../../simulator/slack.ts";
import { spawnCli } from "../helpers/cli.ts";
import { until } from "../helpers/poll.ts";
import { serviceFor } from "../helpers/service.ts";
import { POSTGRES, STORE_DRIVERS } from "../helpers/stores.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";
import { type World, world } from "../helpers/world.ts";
import { report } from "./report.ts";

async function residentMb(url: string): Promise<number> {
  const answer = await request(`${url}/metrics`);
  const text = await answer.body.text();
  return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]) / 2 ** 20;
}

async function serviceProcess(w: World, env: Record<string, string>) {
  let stderr = "";
  const service = spawnCli(
    ["run"],
    { ...w.env, HTTP_PORT: "0", SCHEDULE: "1s", RETRY_MAX_TIME: "2s", ...env },
    w.dir,
  );
  service.child.stderr.on("data", (chunk) => (stderr += chunk));
  await until(() => /"url":"http/.test(stderr), { timeoutMs: 10_000 });
  const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1] as string;
  return { service, url, stderr: () => stderr };
}

for (const driver of STORE_DRIVERS)
  describe(`outages, stored in ${driver.kind}`, () => {
    const suffix = driver.kind === "postgres" ? "Postgres" : "";
    it("Logstash unreachable for a long stretch: retries across executions with flat memory, one alert, one recovery", {
      timeout: 180_000,
    }, async (t) => {
      const w = await world(t, { tenant: { backlog: 3000 }, store: driver });
      const slack = await startSlack();
      t.after(() => slack.close());
      w.tenant.startStream(20);
      await w.logstash.goDown();
      const { service, url } = await serviceProcess(w, {
        SLACK_INCOMING_WEBHOOK: slack.url,
        ALERT_REMINDER: "1h",
      });
      const memory: number[] = [];
      const outageSeconds = 25;
      for (let i = 0; i < outageSeconds; i++) {
        await sleep(1000);
        memory.push(await residentMb(url));
      }
      const failedWhileDown = slack.messages.length;
      await w.logstash.comeBack();
      await sleep(3000);
      w.tenant.stopStream();
      await until(() => w.missing().length === 0, { timeoutMs: 60_000 });
      service.child.kill("SIGTERM");
      assert.equal((await service.done).code, 0);
      const settled = memory.slice(5);
      const growth = Math.max(...settled) - (settled[0] as number);
      report(`logstashOutage${suffix}`, {
        outageSeconds,
        events: w.tenant.log.size,
        lost: w.missing().length,
        slackMessages: slack.messages.length,
        rssMb: { first: settled[0], max: Math.max(...settled) },
      });
      assert.deepEqual(w.missing(), []);
      assert.equal(failedWhileDown, 1, "one alert for the whole outage");
      assert.equal(slack.messages.length, 2);
      assert.match(slack.messages[1]?.text ?? "", /recovered/);
      assert.ok(growth < 15, `resident memory grew ${growth.toFixed(1)} MB during the outage`);
    });

    for (const kind of ["503", "429"] as const) {
      it(`Auth0 answering only ${kind} for a while: same`, { timeout: 120_000 }, async (t) => {
        const w = await world(t, { tenant: { backlog: 1500 }, store: driver });
        const slack = await startSlack();
        t.after(() => slack.close());
        w.tenant.setFaults({ rate: 1, kinds: [kind] });
        const { service } = await serviceProcess(w, {
          SLACK_INCOMING_WEBHOOK: slack.url,
          ALERT_REMINDER: "1h",
        });
        await sleep(8000);
        const duringOutage = slack.messages.length;
        assert.equal(w.logstash.idCounts().size, 0);
        w.tenant.setFaults(null);
        await until(() => w.missing().length === 0, { timeoutMs: 60_000 });
        await until(() => slack.messages.length >= 2, { timeoutMs: 10_000 });
        service.child.kill("SIGTERM");
        assert.equal((await service.done).code, 0);
        report(`auth0Outage${kind}${suffix}`, {
          events: w.tenant.log.size,
          lost: w.missing().length,
          slackMessages: slack.messages.length,
        });
        assert.equal(duringOutage, 1);
        assert.equal(slack.messages.length, 2);
        assert.deepEqual(w.missing(), []);
      });
    }
  });

describe("the SQLite store under a running service", () => {
  it("deleted: a clear error, nothing sent meanwhile, recovery when the file is restored", async (t) => {
    const w = await world(t, { tenant: { backlog: 200 } });
    const { service, store, lines } = await serviceFor(t, w);
    await service.tick("schedule");
    const path = join(w.dir, "state.sqlite");
    const backup = join(w.dir, "backup.sqlite");
    const copy = new DatabaseSync(path);
    copy.exec(`VACUUM INTO '${backup}'`);
    copy.close();
    for (const file of readdirSync(w.dir).filter((f) => f.startsWith("state.sqlite")))
      rmSync(join(w.dir, file));
    w.tenant.addEvents(50);
    const posts = w.logstash.requests.length;
    for (let i = 0; i < 3; i++) await service.tick("schedule");
    assert.equal(
      w.logstash.requests.length,
      posts,
      "no sends while the store is gone: no duplicate loop",
    );
    assert.ok(lines.some((line) => line.includes("was deleted while in use")));
    copyFileSync(backup, path);
    await service.tick("schedule");
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
    assert.equal((await store.checkpoints.get()).checkpoint, w.tenant.eventIds().at(-1));
  });

  it("read-only: a clear error, nothing sent meanwhile, recovery when writable again", async (t) => {
    const w = await world(t, { tenant: { backlog: 200 } });
    const { service, lines } = await serviceFor(t, w);
    await service.tick("schedule");
    // The shared-memory index stays writable: SQLite maps it, and a mapped page that cannot be
    // written ends the process with SIGBUS, which is not what a read-only disk does to a service.
    const files = [
      w.dir,
      ...readdirSync(w.dir)
        .filter((f) => f.startsWith("state.sqlite") && !f.endsWith("-shm"))
        .map((f) => join(w.dir, f)),
    ];
    // Root ignores file modes; the immutable attribute stops root too.
    execFileSync("chattr", ["+i", ...files]);
    const writable = () => {
      for (const file of files.filter((f) => existsSync(f))) execFileSync("chattr", ["-i", file]);
    };
    t.after(writable);
    w.tenant.addEvents(50);
    const posts = w.logstash.requests.length;
    for (let i = 0; i < 3; i++) await service.tick("schedule");
    assert.equal(w.logstash.requests.length, posts, "no sends while the store cannot record them");
    assert.ok(
      lines.some((line) => /could not be written: .*read-only/.test(line)),
      lines.slice(-3).join("\n"),
    );
    writable();
    await service.tick("schedule");
    assert.deepEqual(w.missing(), []);
    assert.deepEqual(w.duplicates(), []);
  });
});

describe("PostgreSQL under a running service", () => {
  it("down when the service starts: it waits, saying so, and exports once the database is up", {
    timeout: 60_000,
  }, async (t) => {
    const w = await world(t, { tenant: { backlog: 300 }, store: POSTGRES });
    const direct = new URL(w.env.DATABASE_URL as string);
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    t.after(() => proxy.close());
    const viaProxy = new URL(direct);
    viaProxy.host = proxy.address;
    proxy.cut();
    let stderr = "";
    const service = spawnCli(
      ["run"],
      { ...w.env, DATABASE_URL: viaProxy.toString(), HTTP_PORT: "0", SCHEDULE: "1s" },
      w.dir,
    );
    service.child.stderr.on("data", (chunk) => (stderr += chunk));
    t.after(() => service.child.kill("SIGKILL"));
    await until(() => /trying again in/.test(stderr), { timeoutMs: 10_000 });
    assert.equal(service.child.exitCode, null, "still waiting, not exited");
    proxy.heal();
    await until(() => w.missing().length === 0, { timeoutMs: 30_000 });
    assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
    assert.doesNotMatch(stderr, /postgres:\/\/[^@\s]*:[^@\s]*@/, "no credentials");
    service.child.kill("SIGTERM");
    assert.equal((await service.done).code, 0);
  });

  // Every second, executions fail and say so; every hour, none runs: the supervisor, seeing the
  // database gone for 10 s, tells Slack instead. Either way one alert, one all-clear.
  for (const schedule of ["1s", "1h"]) {
    it(`unreachable for 20 s (SCHEDULE=${schedule}): nothing sent that cannot be committed, /readyz says why, one alert, heals by itself`, {
      timeout: 180_000,
    }, async (t) => {
      const w = await world(t, { tenant: { backlog: 500 }, store: POSTGRES });
      const direct = new URL(w.env.DATABASE_URL as string);
      const proxy = await startTcpProxy({
        host: direct.hostname,
        port: Number(direct.port || 5432),
      });
      t.after(() => proxy.close());
      const viaProxy = new URL(direct);
      viaProxy.host = proxy.address;
      const slack = await startSlack();
      t.after(() => slack.close());
      const hourly = schedule === "1h";
      // Hourly, the backlog goes first, by once: the service then has nothing to run for an hour.
      if (hourly) assert.equal((await w.once({ DATABASE_URL: viaProxy.toString() })).code, 0);
      const { service, url, stderr } = await serviceProcess(w, {
        DATABASE_URL: viaProxy.toString(),
        SLACK_INCOMING_WEBHOOK: slack.url,
        ALERT_REMINDER: "1h",
        SCHEDULE: schedule,
      });
      await until(() => w.missing().length === 0, { timeoutMs: 30_000 });
      if (!hourly) w.tenant.startStream(20);
      await sleep(2000);
      proxy.cut();
      const sentAtCut = w.logstash.requests.length;
      const outageMs = 20_000;
      await sleep(outageMs);
      // At most the batches in flight at the cut were sent: nothing is read that cannot be committed.
      const sentWhileDown = w.logstash.requests.length - sentAtCut;
      const ready = await request(`${url}/readyz`);
      const readyText = await ready.body.text();
      const alerts = slack.messages.map((m) => m.text ?? "");
      proxy.heal();
      await sleep(3000);
      w.tenant.stopStream();
      await until(() => w.missing().length === 0, { timeoutMs: 60_000 });
      await until(() => slack.messages.length >= 2, { timeoutMs: 15_000 }).catch(() => {});
      const readyAfter = (await request(`${url}/readyz`)).statusCode;
      service.child.kill("SIGTERM");
      const exit = await service.done;
      report(`postgresOutage${schedule}`, {
        outageSeconds: outageMs / 1000,
        events: w.tenant.log.size,
        lost: w.missing().length,
        duplicates: w.duplicates().length,
        sentWhileDown,
        slackMessages: slack.messages.length,
      });
      assert.equal(exit.code, 0);
      assert.deepEqual(w.missing(), []);
      assert.ok(sentWhileDown <= 2, `${sentWhileDown} batches sent while the database was down`);
      assert.equal(ready.statusCode, 503);
      assert.match(readyText, /store unreachable/);
      assert.equal(alerts.length, 1, alerts.join("\n---\n"));
      assert.equal(slack.messages.length, 2, JSON.stringify(slack.messages));
      assert.match(slack.messages[1]?.text ?? "", /recovered|reachable again/);
      assert.equal(readyAfter, 200);
      assert.doesNotMatch(stderr(), /\n\s+at /, "no stack trace");
    });
  }
});
