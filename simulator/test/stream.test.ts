// The simulated tenant's Log Stream pushes as Auth0's custom webhook does
// (log-streams-and-users.md §2.1-2.2): what a receiver gets parses with the product's reader into
// the events the pull reads; batches, rates, retries, health and suspension behave as documented.

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parseStreamBody } from "../../src/intake/stream-body.ts";
import type { LogEvent } from "../../src/interfaces.ts";
import { closeServer, listenOnLoopback } from "../loopback.ts";
import { StreamPusher, type StreamPusherOptions, type StreamStatus } from "../stream.ts";
import { STREAM_FORMATS } from "../stream-format.ts";
import { SIMULATED_CLIENT, startTenant, type TenantSimulator } from "../tenant.ts";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A plain receiver on loopback: records every request and answers what `answer` says. */
class Receiver {
  readonly requests: Received[] = [];
  url = "";
  answer: (request: Received) => number = () => 200;
  private readonly server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
    this.requests.push(request);
    const status = this.answer(request);
    if (status === 0) return; // no answer at all: the sender's timeout decides
    res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
  });

  async listen(): Promise<this> {
    this.url = `http://127.0.0.1:${await listenOnLoopback(this.server)}/log-stream`;
    return this;
  }

  /** Every event received, in arrival order, through the product's reader. */
  events(): LogEvent[] {
    return this.requests.flatMap((request) =>
      parseStreamBody(request.body).events.map(({ event }) => event),
    );
  }

  ids(): string[] {
    return this.events().map((event) => event.log_id as string);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}

/** Everything the tenant serves by checkpoint, read through GET /api/v2/logs. */
async function pull(tenant: TenantSimulator): Promise<LogEvent[]> {
  const token = await fetch(`${tenant.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: SIMULATED_CLIENT.id,
      client_secret: SIMULATED_CLIENT.secret,
      audience: `${tenant.url}/api/v2/`,
    }),
  }).then((response) => response.json() as Promise<{ access_token: string }>);
  const events: LogEvent[] = [];
  let from = "0".repeat(56);
  for (;;) {
    const page = (await fetch(`${tenant.url}/api/v2/logs?from=${from}&take=100`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    }).then((response) => response.json())) as LogEvent[];
    if (page.length === 0) return events;
    events.push(...page);
    from = page[page.length - 1]?.log_id as string;
  }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const byId = (a: LogEvent, b: LogEvent) => String(a.log_id).localeCompare(String(b.log_id));
const TOKEN = "Bearer 3f9c1d2e8a7b4c6d9e0f1a2b3c4d5e6f";

describe("simulated Log Stream (log-streams-and-users.md §2)", () => {
  let tenant: TenantSimulator;
  let receiver: Receiver;
  const pushers: StreamPusher[] = [];
  const push = (options: Partial<StreamPusherOptions> = {}) => {
    const pusher = new StreamPusher(tenant.log, {
      url: receiver.url,
      authorization: TOKEN,
      flushMs: 20,
      backoffMs: 5,
      redriveMs: 50,
      ...options,
    });
    pushers.push(pusher);
    return pusher;
  };

  beforeEach(async () => {
    tenant = await startTenant({ backlog: 20, recordOwnEvents: false });
    receiver = await new Receiver().listen();
  });
  afterEach(async () => {
    for (const pusher of pushers.splice(0)) await pusher.stop();
    await receiver.close();
    await tenant.close();
  });

  for (const format of STREAM_FORMATS) {
    it(`${format}: each request parses with parseStreamBody into the events the pull reads`, async () => {
      const pusher = push({ format, batchSize: 7, contentType: "application/x-ndjson" });
      const ids = tenant.addEvents(30);
      await pusher.idle();
      const expected = { JSONLINES: "lines", JSONARRAY: "array", JSONOBJECT: "object" }[format];
      for (const request of receiver.requests) {
        assert.equal(request.headers.authorization, TOKEN);
        assert.equal(request.headers["content-type"], "application/x-ndjson");
        const body = parseStreamBody(request.body);
        assert.equal(body.format, expected);
        assert.deepEqual(body.refused, []);
        assert.ok(body.events.length <= 7, `a batch of ${body.events.length}`);
      }
      assert.equal(receiver.requests.length, 5);
      const pulled = (await pull(tenant)).filter((event) => ids.includes(event.log_id as string));
      assert.equal(pulled.length, 30);
      assert.deepEqual(receiver.events().sort(byId), pulled.sort(byId));
      assert.equal(pusher.counters.sentEvents, 30);
    });
  }

  it('JSONOBJECT with the "element" layout sends one bare element per request', async () => {
    const pusher = push({ format: "JSONOBJECT", jsonObjectLayout: "element" });
    const ids = tenant.addEvents(3);
    await pusher.idle();
    assert.equal(receiver.requests.length, 3);
    for (const request of receiver.requests) {
      assert.match(request.body, /^\{"log_id":"\d{56}","data":\{/);
      assert.equal(parseStreamBody(request.body).events.length, 1);
    }
    assert.deepEqual(receiver.ids().sort(), ids);
  });

  it("batches up to the size at once, and a partial batch after the flush delay", async () => {
    const pusher = push({ batchSize: 100, flushMs: 400, concurrency: 1 });
    tenant.addEvents(250);
    await until(() => receiver.requests.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(receiver.requests.length, 2, "the last 50 wait for the flush delay");
    await pusher.idle();
    const sizes = receiver.requests.map((request) => parseStreamBody(request.body).events.length);
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.deepEqual(receiver.ids(), tenant.eventIds().slice(20), "in order unless shuffled");
  });

  it("from a log id (the Starting Cursor) sends the events already after it first", async () => {
    const ids = tenant.eventIds();
    const pusher = push({ from: ids[9] as string });
    await pusher.idle();
    assert.deepEqual(receiver.ids(), ids.slice(10));
  });

  it("drops, re-delivers and shuffles at the seeded rates, the same way for the same seed", async () => {
    const options = { batchSize: 10, dropRate: 0.1, redeliverRate: 0.1, shuffle: true, seed: 7 };
    const runs: { dropped: number[]; received: string[] }[] = [];
    for (let run = 0; run < 2; run++) {
      receiver.requests.length = 0;
      const pusher = push(options);
      const ids = tenant.addEvents(1000);
      await pusher.idle();
      await pusher.stop();
      const received = receiver.ids();
      const unique = new Set(received);
      const dropped = pusher.counters.droppedIds;
      // Every event is either delivered or in a batch never sent, never both.
      assert.equal(unique.size + dropped.length, ids.length);
      for (const id of dropped) assert.ok(!unique.has(id));
      assert.equal(dropped.length, pusher.counters.dropped * 10);
      assert.ok(pusher.counters.dropped >= 4 && pusher.counters.dropped <= 20, "about 10 %");
      // Re-delivered batches come whole, a second time.
      assert.ok(pusher.counters.redelivered >= 3 && pusher.counters.redelivered <= 20);
      assert.equal(received.length - unique.size, pusher.counters.redelivered * 10);
      // Shuffled within and across batches.
      const sorted = [...received].sort();
      assert.notDeepEqual(received.slice(0, 10), sorted.slice(0, 10));
      const first = parseStreamBody(receiver.requests[0]?.body ?? "").events.map(
        ({ event }) => event.log_id as string,
      );
      assert.notDeepEqual(first, [...first].sort(), "shuffled within a batch");
      runs.push({ dropped: dropped.map((id) => ids.indexOf(id)).sort((a, b) => a - b), received });
    }
    assert.deepEqual(runs[0]?.dropped, runs[1]?.dropped, "the same seed drops the same events");
  });

  it("retries a failed attempt up to three times: 2xx after two failures delivers once", async () => {
    let answers = [503, 500];
    receiver.answer = () => answers.shift() ?? 204;
    const pusher = push();
    tenant.addEvents(5);
    await pusher.idle();
    assert.equal(receiver.requests.length, 3);
    assert.equal(pusher.counters.failures, 2);
    assert.equal(pusher.counters.errored, 0);
    assert.deepEqual(pusher.health, []);
    assert.equal(new Set(receiver.ids()).size, 5);
    answers = [];
  });

  it("after four failed attempts the batch is an error in the health, and is re-driven later", async () => {
    let failing = true;
    receiver.answer = () => (failing ? 502 : 200);
    const pusher = push({ redriveMs: 200 });
    const ids = tenant.addEvents(4);
    await until(() => pusher.counters.errored === 1);
    assert.equal(receiver.requests.length, 4, "the first attempt and three retries");
    assert.equal(pusher.health.length, 1);
    assert.equal(pusher.health[0]?.status, 502);
    assert.equal(pusher.health[0]?.events, 4);
    assert.match(pusher.counters.lastError?.message ?? "", /^HTTP 502/);
    failing = false;
    await pusher.idle();
    assert.deepEqual(receiver.ids().slice(-4), ids, "re-driven until the receiver takes it");
    assert.equal(pusher.status, "active");
  });

  it("a network error counts as a failure with no status; the health keeps the last ten", async () => {
    await receiver.close();
    const pusher = push({ retries: 0, redriveMs: 10, batchSize: 1 });
    tenant.addEvents(3);
    await until(() => pusher.counters.errored >= 12);
    assert.equal(pusher.health.length, 10);
    assert.equal(pusher.health[9]?.status, null);
    assert.match(pusher.counters.lastError?.message ?? "", /ECONNREFUSED|connect/i);
    assert.equal(pusher.backlog, 3, "nothing is lost while the receiver is away");
    receiver = await new Receiver().listen();
  });

  it("no answer within the receiver timeout is a failed attempt, retried", async () => {
    let answers = [0];
    receiver.answer = () => answers.shift() ?? 200;
    const pusher = push({ timeoutMs: 150 });
    const ids = tenant.addEvents(2);
    await pusher.idle();
    assert.equal(pusher.counters.failures, 1);
    assert.equal(receiver.requests.length, 2);
    assert.deepEqual(receiver.ids().slice(-2), ids, "the second attempt carries the same batch");
    answers = [];
  });

  it("failing for the configured period suspends the stream; resume delivers the backlog", async () => {
    receiver.answer = () => 500;
    const statuses: StreamStatus[] = [];
    const pusher = push({ retries: 1, suspendAfterMs: 150, suspendAfterFailures: 3 });
    pusher.onStatus((status) => statuses.push(status));
    const before = tenant.addEvents(10);
    await until(() => pusher.status === "suspended");
    assert.deepEqual(statuses, ["suspended"]);
    assert.ok(pusher.counters.failures >= 3);
    await pusher.idle();
    const attempts = receiver.requests.length;
    const during = tenant.addEvents(10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.requests.length, attempts, "a suspended stream pushes nothing");
    receiver.answer = () => 200;
    pusher.resume();
    await pusher.idle();
    assert.deepEqual(statuses, ["suspended", "active"]);
    const delivered = new Set(
      receiver.requests
        .slice(attempts)
        .flatMap((request) =>
          parseStreamBody(request.body).events.map(({ event }) => event.log_id),
        ),
    );
    for (const id of [...before, ...during]) assert.ok(delivered.has(id), `${id} delivered`);
  });

  it("paused, it holds events back; setting the same status again is no change", async () => {
    const statuses: StreamStatus[] = [];
    const pusher = push({ status: "paused" });
    pusher.onStatus((status) => statuses.push(status));
    const ids = tenant.addEvents(12);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(receiver.requests.length, 0);
    assert.equal(pusher.backlog, 12);
    pusher.pause();
    pusher.setStatus("active");
    pusher.resume();
    await pusher.idle();
    assert.deepEqual(statuses, ["active"]);
    assert.deepEqual(receiver.ids(), ids);
    assert.equal(pusher.backlog, 0);
  });
});
