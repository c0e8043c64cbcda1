// The outside probe's DNS rebinding attack, kept as a test (docs/reliability.md): a page whose name
// the attacker points at the service's address is same-origin with it in the victim's browser, and
// read /metrics and /readyz of a service bound to loopback. Browsers send that name as Host: the
// service answers only its own names (421 Misdirected Request otherwise), on every listener.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { pino } from "pino";
import type { HostRules } from "../../src/util/hosts.ts";
import { listen, listenerApp } from "../../src/web/server.ts";
import { startService } from "../helpers/process.ts";
import { world } from "../helpers/world.ts";

/** Sends `head` (a request's lines, without the blank line) as written; the answer's status code. */
async function raw(port: number, address: string, head: string): Promise<number> {
  return Number((await exchange(port, address, head)).split(" ")[1]);
}

/** Sends `head` as written; the whole answer. */
async function exchange(port: number, address: string, head: string): Promise<string> {
  const socket = connect(port, address);
  let text = "";
  socket.on("data", (chunk) => (text += chunk));
  socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  await new Promise((done) => socket.on("close", done));
  return text;
}

/** A listener guarded by `rules`, serving 200 "ok" for every path, on `address`. */
async function guarded(t: TestContext, rules: HostRules, address = "127.0.0.1") {
  const app = listenerApp(rules, pino({ level: "silent" }));
  app.all("*", (c) => c.text("ok"));
  const { server, url } = await listen(app, address, 0);
  t.after(() => server.close());
  const port = Number(new URL(url).port);
  /** The status for a GET of `path` naming `host` (null: no Host header at all). */
  return (host: string | null, path = "/metrics", version = "1.1") =>
    raw(port, address, `GET ${path} HTTP/${version}${host === null ? "" : `\r\nHost: ${host}`}`);
}

describe("6. DNS rebinding: only the service's own host names are served", () => {
  it("bound to 127.0.0.1: its address and localhost, any port, any case; no other name or address", async (t) => {
    const get = await guarded(t, { listen: "127.0.0.1", names: [] });
    for (const host of [
      "127.0.0.1",
      "127.0.0.1:3000",
      "localhost",
      "LocalHost:8080",
      "localhost.",
    ]) {
      assert.equal(await get(host), 200, host);
    }
    for (const host of [
      "evil.example",
      "evil.example:3000",
      "127.0.0.1.evil.example",
      "10.0.0.7",
    ]) {
      assert.equal(await get(host), 421, host);
    }
    // The same on every route the listener has, the probes' included.
    for (const path of ["/healthz", "/readyz", "/login", "/api/status", "/"]) {
      assert.equal(await get("evil.example", path), 421, path);
    }
  });

  it("names in ALLOWED_HOSTS (a reverse proxy's) are served, exactly: not their subdomains", async (t) => {
    const get = await guarded(t, {
      listen: "127.0.0.1",
      names: ["dash.example.com", "auth0-logs-to-logstash"],
    });
    for (const host of [
      "dash.example.com",
      "DASH.example.com:443",
      "auth0-logs-to-logstash:3000",
    ]) {
      assert.equal(await get(host), 200, host);
    }
    for (const host of ["evil.dash.example.com", "example.com", "dash.example.com.evil"]) {
      assert.equal(await get(host), 421, host);
    }
  });

  it("bound to ::1: the address in brackets", async (t) => {
    const get = await guarded(t, { listen: "::1", names: [] }, "::1");
    for (const host of ["[::1]", "[::1]:3000", "localhost"]) {
      assert.equal(await get(host), 200, host);
    }
    for (const host of ["[::2]", "127.0.0.1", "evil.example"]) {
      assert.equal(await get(host), 421, host);
    }
  });

  it("bound to a name: that name, localhost, and the address it was bound to", async (t) => {
    const get = await guarded(t, { listen: "localhost", names: [] });
    for (const host of ["localhost:3000", "127.0.0.1"]) assert.equal(await get(host), 200, host);
    for (const host of ["10.0.0.7", "evil.example"]) assert.equal(await get(host), 421, host);
  });

  it("bound to every address (0.0.0.0, ::): any IP address, since an address cannot be rebound; names only when configured", async (t) => {
    for (const listen of ["0.0.0.0", "::"]) {
      const get = await guarded(t, { listen, names: ["exporter.example.com"] });
      // Kubernetes probes and Prometheus name the pod's IP; Docker's port mapping, the host's.
      for (const host of [
        "10.42.0.17:3000",
        "[fd00::17]:3000",
        "localhost",
        "exporter.example.com",
      ]) {
        assert.equal(await get(host), 200, `${listen}: ${host}`);
      }
      // A Service's name is a name too: it must be listed, like any other.
      for (const host of ["evil.example", "auth0-logs-to-logstash.monitoring.svc"]) {
        assert.equal(await get(host), 421, `${listen}: ${host}`);
      }
    }
  });

  it("an absolute-form target names the host (RFC 9112 §3.2.2), not the Host header beside it", async (t) => {
    const get = await guarded(t, { listen: "127.0.0.1", names: [] });
    assert.equal(await get("127.0.0.1", "http://evil.example/metrics"), 421);
    assert.equal(await get("evil.example", "http://127.0.0.1/metrics"), 200);
  });

  it("HTTP/1.0 without Host is for the address listened on; HTTP/1.1 without Host is refused", async (t) => {
    const get = await guarded(t, { listen: "127.0.0.1", names: [] });
    assert.equal(await get(null, "/metrics", "1.0"), 200);
    assert.equal(await get("evil.example", "/metrics", "1.0"), 421);
    assert.equal(await get(null, "/metrics", "1.1"), 400);
  });

  it("the service: /metrics, /readyz and the dashboard refuse a rebound name with 421; ALLOWED_HOSTS names are served", async (t) => {
    const w = await world(t, { tenant: { backlog: 1 } });
    const service = await startService(
      { ...w.env, SCHEDULE: "1h", ALLOWED_HOSTS: "dash.example.com" },
      w.dir,
    );
    t.after(() => service.stop());
    const port = Number(new URL(service.url).port);
    const get = (host: string, path: string) =>
      raw(port, "127.0.0.1", `GET ${path} HTTP/1.1\r\nHost: ${host}`);
    for (const path of ["/metrics", "/readyz", "/healthz", "/login", "/api/tenants"]) {
      assert.equal(await get(`rebind.evil.example:${port}`, path), 421, path);
    }
    assert.equal(await get(`127.0.0.1:${port}`, "/metrics"), 200);
    assert.equal(await get(`localhost:${port}`, "/readyz"), 200);
    assert.equal(await get("dash.example.com", "/login"), 200);
    const refused = await exchange(
      port,
      "127.0.0.1",
      "GET /metrics HTTP/1.1\r\nHost: evil.example",
    );
    assert.match(
      refused,
      /^HTTP\/1.1 421 Misdirected Request\r\n[\s\S]*evil\.example: name it in ALLOWED_HOSTS/,
    );
    const api = await exchange(
      port,
      "127.0.0.1",
      "GET /api/tenants HTTP/1.1\r\nHost: evil.example",
    );
    assert.match(api, /content-type: application\/json[\s\S]*"error":/i);
  });
});
