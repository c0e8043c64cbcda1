// Bad answers from upstream: the execution fails cleanly or handles them, and never commits a
// checkpoint it did not deliver.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STORE_DRIVERS } from "../helpers/stores.ts";
import { world } from "../helpers/world.ts";

const fast = { RETRY_MAX_TIME: "2s", REQUEST_TIMEOUT: "1s" };

for (const store of STORE_DRIVERS) {
  describe(`odd answers from Auth0, stored in ${store.kind}`, () => {
    it("ids going backwards: fails without committing past the last good page", async (t) => {
      const w = await world(t, {
        store,
        tenant: { backlog: 100 },
        env: fast,
      });
      const earlier = w.tenant.eventIds()[5] as string;
      w.tenant.addEvent({ log_id: earlier, _id: earlier, type: "s" });
      const result = await w.once();
      assert.equal(result.code, 1);
      assert.match(result.stderr, /is not newer than/);
      assert.equal((await w.stored()).checkpoint, w.tenant.eventIds()[99]);
    });

    it("an id not newer than the checkpoint it was read from: fails, nothing committed", async (t) => {
      const w = await world(t, {
        store,
        tenant: { backlog: 10 },
        env: fast,
      });
      assert.equal((await w.once()).code, 0);
      const checkpoint = (await w.stored()).checkpoint as string;
      w.tenant.addEvent({ log_id: checkpoint, type: "s" });
      const result = await w.once();
      assert.equal(result.code, 1);
      assert.equal((await w.stored()).checkpoint, checkpoint);
    });

    it("a huge event (2 MB of details) and unusual Unicode are delivered intact", async (t) => {
      const w = await world(t, {
        store,
        tenant: { backlog: 5 },
        env: fast,
      });
      const text = "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ‮RTL‬ \u0000 \ud83d\ude00 \u2028 é";
      const hugeId = w.tenant.addEvent({
        type: "sapi",
        description: text,
        details: { body: "x".repeat(2 * 1024 * 1024) },
      });
      w.tenant.addEvents(5);
      assert.equal((await w.once()).code, 0);
      assert.deepEqual(w.missing(), []);
      const huge = w.logstash.received.find((e) => (e as { log_id: string }).log_id === hugeId) as {
        description: string;
        details: { body: string };
      };
      assert.equal(huge.description, text);
      assert.equal(huge.details.body.length, 2 * 1024 * 1024);
      assert.ok(
        !w.logstash.received.some((e) =>
          (e as { tags?: string[] }).tags?.includes("_jsonparsefailure"),
        ),
      );
    });

    it("unknown event types and fields pass through", async (t) => {
      const w = await world(t, {
        store,
        tenant: { backlog: 2 },
        env: { ...fast, LOG_LEVEL: "error" },
      });
      const id = w.tenant.addEvent({ type: "brand_new_type_2027", novel: { nested: [1, "two"] } });
      assert.equal((await w.once()).code, 0);
      const event = w.logstash.received.find(
        (e) => (e as { log_id: string }).log_id === id,
      ) as Record<string, unknown>;
      assert.deepEqual(event.novel, { nested: [1, "two"] });
      assert.equal(event.type_description, "Unknown event type (brand_new_type_2027)");
    });

    it("a Link to another path or a next link that skips ahead is ignored, with nothing skipped", async (t) => {
      const w = await world(t, {
        store,
        tenant: {
          backlog: 350,
          rewriteLink: (link) => link.replace(/from=\d{56}/, `from=${"9".repeat(56)}`),
        },
        env: fast,
      });
      const result = await w.once();
      assert.equal(result.code, 0);
      assert.deepEqual(w.missing(), []);
      assert.match(result.stderr, /does not continue from the last event/);
    });

    it("a 400 from Auth0 stops the run as a configuration problem, without moving the checkpoint", async (t) => {
      const w = await world(t, {
        store,
        tenant: { backlog: 150 },
        env: fast,
      });
      assert.equal((await w.once()).code, 0);
      const before = (await w.stored()).checkpoint;
      w.tenant.addEvents(10);
      w.tenant.failNext("400");
      const result = await w.once();
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /Auth0 rejected GET \/api\/v2\/logs \(400\).*the checkpoint was not moved/,
      );
      assert.equal((await w.stored()).checkpoint, before);
      assert.ok(!result.stderr.includes("    at "));
    });
  });

  describe(`odd requests to the dashboard's API, stored in ${store.kind}`, () => {
    const bodies: [string, string][] = [
      ["not JSON", "{enabled: yes"],
      ["null", "null"],
      ["an array", "[true]"],
      ["a string", '"true"'],
      ["a number", "1"],
      ["deep nesting", `{"a":${"[".repeat(500)}${"]".repeat(500)}}`],
      ["wrong types", '{"enabled":"yes","schedule":5,"checkpoint":12,"since":[],"reset":"true"}'],
      [
        "a long string",
        JSON.stringify({ schedule: "x".repeat(10_000), checkpoint: "9".repeat(10_000) }),
      ],
      ["an oversized body", JSON.stringify({ pad: "x".repeat(20_000) })],
    ];

    it("every write endpoint answers 400 or 413 with a message, never 500, and changes nothing", async (t) => {
      const w = await world(t, {
        store,
        tenant: { backlog: 5 },
      });
      const d = await (await import("../helpers/dashboard.ts")).dashboardFor(t, w);
      await d.signIn();
      for (const path of [
        "/api/tenants/default/job",
        "/api/tenants/default/schedule",
        "/api/tenants/default/replay",
      ]) {
        for (const [name, body] of bodies) {
          const answer = await d.request(path, { method: "POST", csrf: true, body });
          assert.ok([400, 413].includes(answer.status), `${path} with ${name}: ${answer.status}`);
          const text = await answer.text();
          assert.match(text, /"error":/, `${path} with ${name}`);
          assert.doesNotMatch(text, /\n\s+at /);
        }
      }
      assert.equal(await d.store.state.get("enabled"), null);
      assert.equal(await d.store.state.get("schedule"), null);
      assert.equal((await d.store.checkpoints.get()).checkpoint, null);
      for (const path of [
        "/api/tenants/default/runs?outcome=%00&limit=1e309",
        "/api/tenants/default/runs/99999999999999999999999",
        `/api/tenants/default/replay/preview?checkpoint=${"9".repeat(5000)}`,
        "/api/tenants/default/replay/preview?since=%F0%9F%98%80",
      ]) {
        const answer = await d.request(path);
        assert.ok(answer.status < 500, `${path}: ${answer.status}`);
      }
      assert.equal((await d.request("/healthz")).status, 200);
    });
  });
}
