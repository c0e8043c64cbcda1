// The outside probe's attacks on the service's HTTP side, kept as tests so that they stay fixed
// (docs/reliability.md lists each with its before and after): oversized and malicious bodies,
// sign-in guessing in bursts and behind proxies, sessions and live logs, cookies behind TLS.

import assert from "node:assert/strict";
import { once } from "node:events";
import { type ClientRequest, get as httpGet, type Server } from "node:http";
import { connect, isIP, type Socket } from "node:net";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { listen } from "../../src/web/server.ts";
import { dashboardFor, PASSWORD } from "../helpers/dashboard.ts";
import { SERVICE_PASSWORD, startService } from "../helpers/process.ts";
import { world } from "../helpers/world.ts";

const STACK = /\n\s+at /;

async function rssOf(service: Awaited<ReturnType<typeof startService>>): Promise<number> {
  const metrics = (await service.call("/metrics")).text;
  return Number(/^process_resident_memory_bytes (\d+)/m.exec(metrics)?.[1]);
}

/** Streams `megabytes` of body without a Content-Length; the server may hang up early. */
function chunked(megabytes: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024, "a");
  return Readable.from(
    (function* () {
      for (let i = 0; i < megabytes; i++) yield chunk;
    })(),
  );
}

async function postAnyway(url: string, body: string | Readable, headers = {}) {
  try {
    const response = await request(url, { method: "POST", body, headers });
    await response.body.dump();
    return response.statusCode;
  } catch {
    return "closed";
  }
}

/**
 * Sends sign-ins truly at once, as a burst from many connections looks to a server: every
 * connection is open and has sent its headers before any body arrives.
 */
async function burst(url: string, bodies: string[]): Promise<number[]> {
  const { port } = new URL(url);
  const sockets = await Promise.all(
    bodies.map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(port), "127.0.0.1", () => resolve(socket));
          socket.on("error", reject);
        }),
    ),
  );
  const answers = sockets.map(
    (socket) =>
      new Promise<number>((resolve) => {
        let text = "";
        socket.on("data", (chunk) => {
          text += chunk;
          const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
          if (status) {
            resolve(Number(status));
            socket.destroy();
          }
        });
      }),
  );
  bodies.forEach((body, i) => {
    sockets[i]?.write(
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    );
  });
  await sleep(100);
  bodies.forEach((body, i) => {
    sockets[i]?.write(body);
  });
  return Promise.all(answers);
}

describe("1. request bodies are bounded before they are read", () => {
  it("a sign-in of 1.5 million fields, a huge or endless body: 413, and the service stays up and small", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => service.stop());
    const rssBefore = await rssOf(service);
    const fields = "&aaaaaaaa=".repeat(1_500_000);
    const form = { "content-type": "application/x-www-form-urlencoded" };
    assert.equal(await postAnyway(`${service.url}/login`, fields, form), 413);
    assert.equal((await service.call("/healthz")).status, 200, "still up");
    const endless = await postAnyway(`${service.url}/login`, chunked(200), form);
    assert.ok(endless === 413 || endless === "closed", `answered ${endless}`);
    const declared = await request(`${service.url}/api/job`, {
      method: "POST",
      headers: { "content-length": String(600 * 1024 * 1024), "content-type": "application/json" },
      body: chunked(1),
    }).then(
      (r) => r.statusCode,
      () => "closed",
    );
    assert.ok(declared === 413 || declared === "closed", `answered ${declared}`);
    assert.equal((await service.call("/healthz")).status, 200, "still up");
    const grown = (await rssOf(service)) - rssBefore;
    assert.ok(grown < 64 * 1024 * 1024, `resident memory grew by ${grown} bytes`);
    assert.doesNotMatch(service.stderr(), STACK);
  });

  it("the signed-in JSON API: 10 MB of nesting is 413, deep nesting within the limit and null are 400", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => service.stop());
    assert.equal((await service.signIn()).status, 303);
    const json = { "content-type": "application/json" };
    const huge = await service.call("/api/tenants/default/job", {
      method: "POST",
      body: "[".repeat(10 * 1024 * 1024),
      headers: json,
    });
    assert.equal(huge.status, 413);
    const deep = await service.call("/api/tenants/default/job", {
      method: "POST",
      body: `${"[".repeat(4000)}${"]".repeat(4000)}`,
      headers: json,
    });
    assert.equal(deep.status, 400);
    assert.match(deep.text, /nested deeper than/);
    for (const body of ["null", "[]", '"x"', "{", ""]) {
      const answer = await service.call("/api/tenants/default/job", {
        method: "POST",
        body,
        headers: json,
      });
      assert.equal(answer.status, 400, body);
      assert.doesNotMatch(answer.text, STACK);
    }
    assert.equal((await service.call("/healthz")).status, 200);
    assert.doesNotMatch(service.stderr(), STACK);
  });
});

/**
 * Sends the head of a request declaring `declared` bytes, then keeps sending after the answer
 * arrives; tells what the client saw: the answer's status line, and how the connection ended.
 */
async function sendPastTheAnswer(url: string, path: string, declared: number) {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  let text = "";
  const ended = new Promise<string>((resolve) => {
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on("end", () => resolve("end"));
  });
  const answered = new Promise<void>((resolve) =>
    socket.on("data", (chunk) => {
      text += chunk;
      if (text.includes("\r\n\r\n")) resolve();
    }),
  );
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
  );
  await answered;
  // The client, not yet aware of the answer, goes on sending: 4 MiB more.
  const chunk = Buffer.alloc(64 * 1024, "[");
  for (let i = 0; i < 64 && !socket.destroyed; i++) {
    if (!socket.write(chunk)) await Promise.race([once(socket, "drain"), ended]);
  }
  const how = await ended;
  socket.destroy();
  return { status: text.split("\r\n")[0], how };
}

describe("1b. an early 413 reaches a client that is still sending", () => {
  it("the connection is half-closed and the rest is read and discarded, not reset", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => service.stop());
    for (let i = 0; i < 3; i++) {
      const seen = await sendPastTheAnswer(service.url, "/login", 10 * 1024 * 1024);
      assert.equal(seen.status, "HTTP/1.1 413 Payload Too Large");
      assert.equal(seen.how, "end", "closed in order, no reset that could eat the answer");
    }
    assert.equal((await service.call("/healthz")).status, 200);
  });
});

describe("2. sign-in guessing", () => {
  it("a burst from one address is counted before checking: at most 5 guesses are checked, the right password among the rest is refused", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => service.stop());
    const guesses = Array.from({ length: 60 }, (_, i) =>
      i === 59 ? SERVICE_PASSWORD : `wrong-${i}`,
    );
    const statuses = await burst(
      service.url,
      guesses.map((password) => new URLSearchParams({ user: "admin", password }).toString()),
    );
    const checked = statuses.filter((s) => s === 401 || s === 303).length;
    assert.ok(checked <= 5, `${checked} guesses were checked`);
    assert.equal(statuses.at(-1), 429, "the right password, late in the burst, is refused");
    assert.equal(statuses.filter((s) => s === 429).length, 60 - checked);
  });

  it("password checks run off the event loop: health answers while guesses are being checked", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => service.stop());
    const order: string[] = [];
    const guesses = Array.from({ length: 5 }, (_, i) =>
      service
        .call("/login", {
          method: "POST",
          body: new URLSearchParams({ user: `user-${i}`, password: "wrong" }).toString(),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        })
        .then(() => order.push("guess")),
    );
    await sleep(5);
    const health = service.call("/healthz").then(() => order.push("health"));
    await Promise.all([...guesses, health]);
    assert.notEqual(order.at(-1), "health", `answered in order ${order.join(", ")}`);
  });

  it("a wrong user name costs the same password check as a wrong password", async (t) => {
    const d = await dashboardFor(t, await world(t));
    await d.signIn("nobody", "whatever");
    assert.equal(d.verifier.checked, 1);
    await d.signIn("admin", "whatever");
    assert.equal(d.verifier.checked, 2);
  });

  it("waits grow after 5 failures instead of a 5-minute wall, per address and user", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const service = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => service.stop());
    for (let i = 0; i < 5; i++) assert.equal((await service.signIn("admin", "wrong")).status, 401);
    const blocked = await service.signIn("admin", "wrong");
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers["retry-after"], "1", "a 1 s wait, not a wall");
    assert.equal((await service.signIn("ops", "wrong")).status, 401, "another user is not held");
    await sleep(1100);
    assert.equal((await service.signIn()).status, 303, "after the wait the right password works");
  });

  it("behind a trusted proxy each client has its own limit; untrusted X-Forwarded-For is ignored", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const attacker = { "x-forwarded-for": "203.0.113.9" };
    const admin = { "x-forwarded-for": "198.51.100.7" };
    const trusted = await startService(
      { ...w.env, SCHEDULE: "1h", TRUSTED_PROXIES: "127.0.0.1" },
      w.dir,
    );
    t.after(() => trusted.stop());
    for (let i = 0; i < 7; i++) await trusted.signIn("admin", "wrong", attacker);
    assert.equal((await trusted.signIn("admin", "wrong", attacker)).status, 429);
    assert.equal((await trusted.signIn("admin", SERVICE_PASSWORD, admin)).status, 303);
    await trusted.stop();

    const direct = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => direct.stop());
    for (let i = 0; i < 5; i++) await direct.signIn("admin", "wrong", attacker);
    const spoofed = await direct.signIn("admin", SERVICE_PASSWORD, admin);
    assert.equal(spoofed.status, 429, "a forged header does not escape the limit");
  });
});

/** A sign-in sent in-process as if from `address` (the socket's peer); its status. */
async function signInFrom(
  d: Awaited<ReturnType<typeof dashboardFor>>,
  address: string,
  user: string,
  password: string,
): Promise<number> {
  const socket = { remoteAddress: address, remoteFamily: isIP(address) === 6 ? "IPv6" : "IPv4" };
  const response = await d.app.request(
    "http://localhost/login",
    {
      method: "POST",
      body: new URLSearchParams({ user, password }).toString(),
      headers: { host: "localhost", "content-type": "application/x-www-form-urlencoded" },
    },
    { incoming: { socket } },
  );
  await response.arrayBuffer();
  return response.status;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe("2b. one address trying many user names", () => {
  const attacker = "203.0.113.9";
  const admin = "198.51.100.7";

  it("gets no fresh guesses from new names: 20 failures per address over all names, and the admin's penalty stays", async (t) => {
    const d = await dashboardFor(t, await world(t));
    for (let i = 0; i < 5; i++) assert.equal(await signInFrom(d, attacker, "admin", `w${i}`), 401);
    assert.equal(await signInFrom(d, attacker, "admin", "w5"), 429);
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push(await signInFrom(d, attacker, `user-${i}`, "x"));
    const checked = count(statuses, 401);
    assert.ok(checked <= 15, `${checked} of 100 other names were checked`);
    assert.equal(count(statuses, 429), 100 - checked);
    assert.equal(await signInFrom(d, attacker, "admin", PASSWORD), 429, "the penalty was kept");
    assert.equal(await signInFrom(d, admin, "admin", PASSWORD), 303, "another address signs in");
  });

  it("cannot fill the verification queue: other addresses sign in during its flood", async (t) => {
    const d = await dashboardFor(t, await world(t));
    const flood: number[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        flood.push(await signInFrom(d, attacker, `u-${w}-${i}`, "x"));
        // In-process answers settle as microtasks: let the event loop see the checks end.
        await setImmediate();
      }
    };
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    const signedIn = await signInFrom(d, admin, "admin", PASSWORD);
    stop = true;
    await Promise.all(workers);
    assert.equal(signedIn, 303);
    assert.equal(count(flood, 503), 0, `the flood's answers: ${[...new Set(flood)].join(", ")}`);
    assert.ok(count(flood, 401) <= 20, `${count(flood, 401)} of the flood's names were checked`);
  });

  it("a sign-in refused as busy is not counted as a failure", async (t) => {
    const d = await dashboardFor(t, await world(t));
    // Five addresses, two checks each: the 2 running and 8 queued checks are taken.
    const flood: Promise<number>[] = [];
    for (let a = 1; a <= 5; a++) {
      for (let i = 0; i < 2; i++) flood.push(signInFrom(d, `203.0.113.${a}`, `u${i}`, "x"));
    }
    while (d.verifier.hasRoom()) await sleep(1);
    const refused = await Promise.all(
      Array.from({ length: 6 }, () => signInFrom(d, admin, "admin", "typo")),
    );
    assert.deepEqual(refused, [503, 503, 503, 503, 503, 503]);
    assert.deepEqual(await Promise.all(flood), Array(10).fill(401));
    assert.equal(await signInFrom(d, admin, "admin", PASSWORD), 303, "no failure was counted");
  });

  it("the addresses of one IPv6 /64 count as one address", async (t) => {
    const d = await dashboardFor(t, await world(t));
    const statuses: number[] = [];
    for (let i = 1; i <= 30; i++) {
      statuses.push(await signInFrom(d, `2001:db8:1:2::${i.toString(16)}`, `user-${i}`, "x"));
    }
    assert.equal(count(statuses, 401), 20);
    assert.equal(count(statuses, 429), 10);
    assert.equal(await signInFrom(d, "2001:db8:1:3::1", "admin", PASSWORD), 303, "another /64");
  });
});

describe("7. live logs end with the session", () => {
  async function openStream(d: Awaited<ReturnType<typeof dashboardFor>>) {
    const response = await d.request("/api/logs");
    assert.equal(response.status, 200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    return { ended, cancel: () => reader.cancel() };
  }

  it("closes at sign-out", async (t) => {
    const d = await dashboardFor(t, await world(t));
    await d.signIn();
    const stream = await openStream(d);
    await d.request("/logout", { method: "POST" });
    const ended = await Promise.race([stream.ended, sleep(3000).then(() => false)]);
    await stream.cancel();
    assert.equal(ended, true, "the stream ended");
  });

  it("closes when the session expires", async (t) => {
    const d = await dashboardFor(t, await world(t), { sessionTtlMs: 600 });
    await d.signIn();
    const stream = await openStream(d);
    const ended = await Promise.race([stream.ended, sleep(3000).then(() => false)]);
    await stream.cancel();
    assert.equal(ended, true, "the stream ended");
  });

  // @hono/node-server prints the error of a response stream that fails with console.error, stack
  // and all (handleResponseError). Our only streamed answer is this one, and Hono's SSE stream
  // never errors: it ends, or is cancelled. Checked here over a real socket, cut both ways.
  it("a stream cut off by the client or by the server prints nothing to the console", async (t) => {
    const printed: unknown[][] = [];
    const saved = { error: console.error, info: console.info };
    console.error = (...args: unknown[]) => printed.push(args);
    console.info = (...args: unknown[]) => printed.push(args);
    t.after(() => Object.assign(console, saved));
    const d = await dashboardFor(t, await world(t), { sessionTtlMs: 1500 });
    const { server, url } = await listen(d.app, "127.0.0.1", 0);
    t.after(() => server.close());
    const login = await request(`${url}/login`, {
      method: "POST",
      body: new URLSearchParams({ user: "admin", password: PASSWORD }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    await login.body.dump();
    const cookie = String(login.headers["set-cookie"]).split(";")[0] as string;
    const flood = (text: string) => {
      for (let i = 0; i < 3000; i++) d.logs.write(JSON.stringify({ msg: text.repeat(1000) }));
    };
    /** A stream whose reader stalls, so that writes back up behind it. */
    const stalled = () =>
      new Promise<ClientRequest>((resolve) => {
        const req = httpGet(`${url}/api/logs`, { headers: { cookie } }, (res) => {
          res.pause();
          resolve(req);
        });
        req.on("error", () => {});
      });
    const dropped = await stalled();
    flood("a");
    dropped.destroy();
    await stalled();
    flood("b");
    await sleep(2000); // the session expires with writes pending
    await stalled();
    flood("c");
    (server as Server).closeAllConnections();
    await sleep(200);
    assert.deepEqual(printed, []);
  });
});

describe("11. cookies and HSTS behind a TLS proxy", () => {
  it("Secure and HSTS only when a trusted proxy says https", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const https = { "x-forwarded-proto": "https" };
    const trusted = await startService(
      { ...w.env, SCHEDULE: "1h", TRUSTED_PROXIES: "loopback" },
      w.dir,
    );
    t.after(() => trusted.stop());
    const secure = await trusted.signIn("admin", SERVICE_PASSWORD, https);
    assert.match(String(secure.headers["set-cookie"]), /;\s*Secure/i);
    assert.ok(
      (await trusted.call("/login", { headers: https })).headers["strict-transport-security"],
    );
    const plain = await trusted.signIn();
    assert.doesNotMatch(String(plain.headers["set-cookie"]), /;\s*Secure/i);
    assert.equal((await trusted.call("/login")).headers["strict-transport-security"], undefined);
    await trusted.stop();

    const untrusted = await startService({ ...w.env, SCHEDULE: "1h" }, w.dir);
    t.after(() => untrusted.stop());
    const forged = await untrusted.call("/login", { headers: https });
    assert.equal(forged.headers["strict-transport-security"], undefined, "no HSTS over http");
  });
});

describe("13. list limits are clamped", () => {
  it("GET /api/runs?limit=-1 does not return every run", async (t) => {
    const w = await world(t, { tenant: { backlog: 10 } });
    const d = await dashboardFor(t, w);
    await d.signIn();
    for (let i = 0; i < 3; i++) await d.service.tick("manual");
    const runs = async (query: string) =>
      ((await (await d.request(`/api/tenants/default/runs${query}`)).json()) as unknown[]).length;
    assert.equal(await runs("?limit=-1"), 1);
    assert.equal(await runs("?limit=2"), 2);
    assert.equal(await runs("?limit=abc"), 3);
    assert.equal(await runs("?limit=99999999999"), 3);
  });
});
