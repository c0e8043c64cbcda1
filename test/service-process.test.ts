// The service as a process: it listens, answers health checks, and on SIGTERM stops mid-execution
// without losing anything, exiting 0.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { request } from "undici";
import { indexOfId } from "../simulator/events.ts";
import { spawnCli } from "./helpers/cli.ts";
import { until } from "./helpers/poll.ts";
import { world } from "./helpers/world.ts";

describe("run (the service process)", () => {
  it("stops on SIGTERM mid-execution, exits 0, and the next start loses nothing", async (t) => {
    const w = await world(t, { tenant: { backlog: 2000 }, logstash: { delayMs: 150 } });
    let stderr = "";
    const service = spawnCli(
      ["run"],
      { ...w.env, HTTP_PORT: "0", SCHEDULE: "1h", TAIL: "true" },
      w.dir,
    );
    service.child.stderr.on("data", (chunk) => (stderr += chunk));
    const url = await until(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1], {
      timeoutMs: 10_000,
    });
    const health = await request(`${url}/healthz`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
    await until(() => (w.logstash.requests.length >= 3 ? true : undefined), { timeoutMs: 10_000 });
    const stoppedAt = Date.now();
    service.child.kill("SIGTERM");
    const result = await service.done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - stoppedAt < 12_000, "stopped within the grace period");
    assert.match(result.stderr, /SIGTERM: stopping after the batches in flight/);
    assert.ok(w.missing().length > 0, "it stopped before caught up");
    const { runs } = await w.stored();
    assert.equal(runs[0]?.outcome, "aborted");
    w.logstash.setDelay(0);
    assert.equal((await w.once()).code, 0);
    assert.deepEqual(w.missing(), []);
    assert.ok(w.duplicates().length <= 100, `${w.duplicates().length} duplicates`);
  });

  it("refuses a port it cannot listen on, naming the settings", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    t.after(() => taken.close());
    const port = (taken.address() as AddressInfo).port;
    const result = await spawnCli(["run"], { ...w.env, HTTP_PORT: String(port) }, w.dir).done;
    assert.equal(result.code, 1);
    assert.ok(
      result.stderr.includes(`cannot listen on 127.0.0.1:${port} (HTTP_HOST, HTTP_PORT)`),
      result.stderr,
    );
  });

  it("opens the Log Streams intake when the tenant has LOG_STREAM_TOKEN, delivers pushes, and stops on SIGTERM", async (t) => {
    const w = await world(t, { tenant: { backlog: 0 } });
    const token = "Bearer intake-process-test-0123456789";
    const service = spawnCli(
      ["run"],
      { ...w.env, HTTP_PORT: "0", INTAKE_PORT: "0", SCHEDULE: "1h", LOG_STREAM_TOKEN: token },
      w.dir,
    );
    let stderr = "";
    service.child.stderr.on("data", (chunk) => (stderr += chunk));
    const url = await until(
      () => /"url":"(http:\/\/127\.0\.0\.1:\d+)","paths":\["\/log-stream"\]/.exec(stderr)?.[1],
      { timeoutMs: 10_000 },
    );
    const ids = w.tenant.addEvents(3);
    const body = ids
      .map((id) => {
        const { _id, ...data } = w.tenant.log.eventAt(indexOfId(id));
        return JSON.stringify({ log_id: id, data });
      })
      .join("\n");
    const pushed = await request(`${url}/log-stream`, {
      method: "POST",
      body,
      headers: { authorization: token },
    });
    assert.equal(pushed.statusCode, 200, await pushed.body.text());
    // The pushed events; not the tenant's others: `run` starts with an execution, whose token
    // exchange Auth0 logs too, and the sweep takes that one only LOG_STREAM_SWEEP_DELAY later.
    assert.deepEqual(
      w.missing().filter((id) => ids.includes(id)),
      [],
    );
    service.child.kill("SIGTERM");
    const result = await service.done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stderr.includes("intake-process-test"), "the token is never logged");
  });

  it("refuses an intake port it cannot listen on, naming the settings (exit 1)", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    t.after(() => taken.close());
    const port = (taken.address() as AddressInfo).port;
    const env = {
      ...w.env,
      HTTP_PORT: "0",
      INTAKE_PORT: String(port),
      LOG_STREAM_TOKEN: "Bearer intake-process-test-0123456789",
    };
    const result = await spawnCli(["run"], env, w.dir).done;
    assert.equal(result.code, 1);
    assert.ok(
      result.stderr.includes(`cannot listen on 127.0.0.1:${port} (INTAKE_HOST, INTAKE_PORT)`),
      result.stderr,
    );
  });
});
