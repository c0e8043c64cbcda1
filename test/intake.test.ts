// The Log Streams intake's contract, on both stores: what a pushing stream is answered, and what
// each answer leaves behind. 2xx only once every element is acknowledged by the sink, found
// already delivered, filtered out or kept as a dead letter; 401 for anyone but the tenant's
// stream, 400/413 for a body that is not a delivery, 503 with Retry-After when the sink does not
// acknowledge in time; and never a checkpoint moved.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { indexOfId } from "../simulator/events.ts";
import { loadConfig } from "../src/config/load.ts";
import type { JobConfig, ProcessSettings } from "../src/config/types.ts";
import { ConfigError } from "../src/errors.ts";
import { Intake, PUSH_DEADLINE_MS, RETRY_AFTER_S } from "../src/intake/intake.ts";
import { openIntakeListener } from "../src/intake/listener.ts";
import { INTAKE_BODY_BYTES } from "../src/intake/routes.ts";
import type { LogEvent } from "../src/interfaces.ts";
import { openStore } from "../src/store/open.ts";
import { createLogger } from "../src/util/logger.ts";
import { runCli, tempDir } from "./helpers/cli.ts";
import { STORE_DRIVERS, type StoreDriver } from "./helpers/stores.ts";
import { type World, world } from "./helpers/world.ts";

const TOKEN = "Bearer 0123456789abcdef0123456789abcdef";

interface Pushing {
  w: World;
  url: string;
  config: JobConfig & ProcessSettings;
  /** The tenant's events for these ids, as a stream's elements. */
  elements(ids: string[]): { log_id: string; data: LogEvent }[];
  push(body: string, headers?: Record<string, string>, path?: string): Promise<Response>;
  lines: string[];
  known(ids: string[]): Promise<Set<string>>;
}

async function pushing(
  t: TestContext,
  driver: StoreDriver,
  env: Record<string, string> = {},
): Promise<Pushing> {
  const w = await world(t, { store: driver });
  const all: Record<string, string> = {
    ...w.env,
    LOG_STREAM_TOKEN: TOKEN,
    INTAKE_PORT: "0",
    ...env,
  };
  const config = { id: "default", ...loadConfig(all, { cwd: w.dir }) };
  const store = await openStore(all.DATABASE_URL as string);
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    human: false,
    destination: { write: (line) => lines.push(line) },
  });
  const intake = new Intake([config], { store, logger, single: true });
  const listener = await openIntakeListener(intake, config, logger);
  t.after(async () => {
    listener.server.close();
    await intake.close();
    await store.close();
  });
  return {
    w,
    url: listener.url,
    config,
    lines,
    elements: (ids) =>
      ids.map((id) => {
        const { _id, ...data } = w.tenant.log.eventAt(indexOfId(id));
        return { log_id: id, data: data as LogEvent };
      }),
    push: (body, headers = {}, path = "/log-stream") =>
      fetch(`${listener.url}${path}`, {
        method: "POST",
        body,
        headers: { authorization: TOKEN, "content-type": "application/json", ...headers },
      }),
    known: (ids) => store.forJob("default").delivered.known(ids),
  };
}

const lines = (elements: unknown[]) => elements.map((e) => JSON.stringify(e)).join("\n");

for (const driver of STORE_DRIVERS) {
  describe(`Log Streams intake on ${driver.name}`, () => {
    it("accepts JSON lines, a JSON array and {logs: [...]} under any Content-Type, each event once", async (t) => {
      const p = await pushing(t, driver);
      const ids = p.w.tenant.addEvents(9);
      const [a, b, c] = [ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)];
      const bodies = [
        lines(p.elements(a)),
        JSON.stringify(p.elements(b)),
        JSON.stringify({ logs: p.elements(c) }),
      ];
      for (const [i, body] of bodies.entries()) {
        const type = ["application/json", "text/plain", "application/x-ndjson"][i] as string;
        const answer = await p.push(body, { "content-type": type });
        assert.equal(answer.status, 200, await answer.clone().text());
        assert.deepEqual(await answer.json(), {
          accepted: 3,
          delivered: 3,
          duplicates: 0,
          filtered: 0,
          rejected: 0,
        });
      }
      assert.deepEqual(p.w.missing(), []);
      assert.deepEqual(p.w.duplicates(), []);
      assert.equal((await p.known(ids)).size, 9);
      // The stream sends a batch again (it does, at least once): dropped, answered 200.
      const again = await p.push(JSON.stringify([...p.elements(b), ...p.elements(b)]));
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as { duplicates: number }).duplicates, 6);
      assert.deepEqual(p.w.duplicates(), []);
      assert.equal(p.w.logstash.eventCount, 9);
      // Pushes never touch the checkpoint.
      assert.equal((await p.w.stored()).checkpoint, null);
    });

    it("answers 401 to anyone but the tenant's stream, before reading the body, and keeps nothing", async (t) => {
      const p = await pushing(t, driver);
      const ids = p.w.tenant.addEvents(2);
      const body = lines(p.elements(ids));
      const wrong = [
        { authorization: `${TOKEN}x` },
        { authorization: "" },
        { authorization: TOKEN.toLowerCase() },
      ];
      for (const headers of wrong) {
        const answer = await p.push(body, headers);
        assert.equal(answer.status, 401);
        assert.match(answer.headers.get("www-authenticate") ?? "", /Bearer/);
      }
      const none = await fetch(`${p.url}/log-stream`, { method: "POST", body });
      assert.equal(none.status, 401);
      // A tenant that does not exist is refused the same way, naming nothing.
      const other = await p.push(body, {}, "/log-stream/someone-else");
      assert.equal(other.status, 401);
      assert.deepEqual(await other.json(), { error: "unauthorized" });
      assert.equal(p.w.logstash.eventCount, 0);
      assert.equal((await p.known(ids)).size, 0);
      assert.ok(!p.lines.join("").includes("0123456789abcdef"), "the token is never logged");
    });

    it("refuses a malformed body whole (400, naming where) and an oversized one (413)", async (t) => {
      const p = await pushing(t, driver);
      const ids = p.w.tenant.addEvents(3);
      const good = p.elements(ids).map((e) => JSON.stringify(e));
      const broken = await p.push([good[0], "{not json", good[2]].join("\n"));
      assert.equal(broken.status, 400);
      assert.match(((await broken.json()) as { error: string }).error, /line 2/);
      const empty = await p.push("");
      assert.equal(empty.status, 400);
      const huge = await p.push("x".repeat(INTAKE_BODY_BYTES + 1));
      assert.equal(huge.status, 413);
      assert.equal(p.w.logstash.eventCount, 0);
      assert.equal((await p.known(ids)).size, 0);
    });

    it("refuses an invalid element alone, as a dead letter with its reason", async (t) => {
      const p = await pushing(t, driver);
      const ids = p.w.tenant.addEvents(3);
      const [first, second, third] = p.elements(ids) as [object, object, { log_id: string }];
      const wrong = { log_id: "not-an-auth0-id", data: {} };
      const differs = { ...third, data: { log_id: ids[0] } };
      const answer = await p.push(JSON.stringify([first, wrong, second, differs]));
      assert.equal(answer.status, 200);
      const counts = (await answer.json()) as { delivered: number; rejected: number };
      assert.deepEqual([counts.delivered, counts.rejected], [2, 2]);
      const letters = await p.w.withStore((store) =>
        store.forJob("default").deadLetters.list({ state: "pending", limit: 10 }),
      );
      assert.equal(letters.length, 2);
      assert.ok(letters.every((letter) => /refused by the Log Streams intake/.test(letter.reason)));
      assert.ok(letters.some((letter) => /differs from its data\.log_id/.test(letter.reason)));
    });

    it("leaves out what LOG_TYPES leaves out, as the sweep does", async (t) => {
      const p = await pushing(t, driver, { LOG_TYPES: "s" });
      const ok = p.w.tenant.addEvent({ type: "s" });
      const failed = p.w.tenant.addEvent({ type: "f" });
      const answer = await p.push(lines(p.elements([ok, failed])));
      assert.equal(answer.status, 200);
      const counts = (await answer.json()) as { delivered: number; filtered: number };
      assert.deepEqual([counts.delivered, counts.filtered], [1, 1]);
      assert.deepEqual([...p.w.logstash.idCounts().keys()], [ok]);
    });
  });
}

describe("Log Streams intake (either store)", () => {
  const driver = STORE_DRIVERS[0] as StoreDriver;

  it("answers 503 with Retry-After within its deadline when the sink is down, and 200 once it is back", async (t) => {
    const p = await pushing(t, driver);
    const ids = p.w.tenant.addEvents(4);
    const body = lines(p.elements(ids));
    await p.w.logstash.goDown();
    const started = Date.now();
    const down = await p.push(body);
    const took = Date.now() - started;
    assert.equal(down.status, 503);
    assert.equal(down.headers.get("retry-after"), String(RETRY_AFTER_S));
    assert.ok(took <= PUSH_DEADLINE_MS + 500, `answered within the deadline (${took} ms)`);
    assert.equal((await p.known(ids)).size, 0, "nothing recorded as delivered");
    await p.w.logstash.comeBack();
    const back = await p.push(body);
    assert.equal(back.status, 200);
    assert.deepEqual(p.w.missing(), []);
  });

  it("answers 503 while the tenant is disabled, and delivers once it is enabled again", async (t) => {
    const p = await pushing(t, driver);
    const ids = p.w.tenant.addEvents(2);
    const body = lines(p.elements(ids));
    assert.equal((await runCli(["disable"], p.w.env, p.w.dir)).code, 0);
    const disabled = await p.push(body);
    assert.equal(disabled.status, 503);
    assert.match(((await disabled.json()) as { error: string }).error, /disabled/);
    assert.equal(p.w.logstash.eventCount, 0);
    assert.equal((await runCli(["enable"], p.w.env, p.w.dir)).code, 0);
    assert.equal((await p.push(body)).status, 200);
    assert.deepEqual(p.w.missing(), []);
  });

  it("serves only the intake: no dashboard, no metrics, other methods 405, other hosts 421", async (t) => {
    const p = await pushing(t, driver);
    assert.equal((await fetch(`${p.url}/healthz`)).status, 200);
    for (const path of ["/", "/metrics", "/readyz", "/login", "/api/status"]) {
      assert.equal((await fetch(`${p.url}${path}`)).status, 404, path);
    }
    const get = await fetch(`${p.url}/log-stream`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    const { port } = new URL(p.url);
    const http = await import("node:http");
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port, path: "/healthz", headers: { host: "evil.example" } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on("error", reject);
      request.end();
    });
    assert.equal(status, 421);
  });

  it("with a tenants file, POST /log-stream/<tenant> names the tenant, and bare /log-stream is refused", async (t) => {
    const p = await pushing(t, driver);
    const config = { ...p.config, id: "acme" };
    const store = await openStore(p.w.env.DATABASE_URL as string);
    const logger = createLogger({ level: "silent", human: false });
    const intake = new Intake([config], { store, logger, single: false });
    const listener = await openIntakeListener(intake, config, logger);
    t.after(async () => {
      listener.server.close();
      await intake.close();
      await store.close();
    });
    const ids = p.w.tenant.addEvents(2);
    const post = (path: string) =>
      fetch(`${listener.url}${path}`, {
        method: "POST",
        body: lines(p.elements(ids)),
        headers: { authorization: TOKEN },
      });
    assert.equal((await post("/log-stream")).status, 401);
    assert.equal((await post("/log-stream/default")).status, 401);
    assert.equal((await post("/log-stream/acme")).status, 200);
    assert.equal((await store.forJob("acme").delivered.known(ids)).size, 2);
  });
});

describe("Log Streams intake over https (INTAKE_TLS_CERT, INTAKE_TLS_KEY)", () => {
  it("serves https itself with the certificate given, and names a setting whose file is missing", async (t) => {
    const dir = tempDir("a2l-intake-tls-");
    execFileSync("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "2"],
      ...["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
    ]);
    const p = await pushing(t, STORE_DRIVERS[0] as StoreDriver);
    const logger = createLogger({ level: "silent", human: false });
    const store = await openStore(p.w.env.DATABASE_URL as string);
    const intake = new Intake([p.config], { store, logger, single: true });
    const tls = { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
    const listener = await openIntakeListener(
      intake,
      { ...p.config, intake: { host: "127.0.0.1", port: 0, tls } },
      logger,
    );
    t.after(async () => {
      listener.server.close();
      await intake.close();
      await store.close();
    });
    assert.match(listener.url, /^https:\/\//);
    const { port } = new URL(listener.url);
    const ca = readFileSync(tls.certFile);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpsRequest(
        { host: "localhost", port, path: "/healthz", ca, servername: "localhost" },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on("error", reject);
      request.end();
    });
    assert.equal(status, 200);
    await assert.rejects(
      openIntakeListener(
        intake,
        { ...p.config, intake: { host: "127.0.0.1", port: 0, tls: { ...tls, keyFile: "/nope" } } },
        logger,
      ),
      (error: Error) =>
        error instanceof ConfigError && /INTAKE_TLS_KEY: cannot read \/nope/.test(error.message),
    );
  });
});
