// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is what a tenants file holds
// Several tenants in one `run` process: each runs independently (a tenant that fails, is rate
// limited or slow never delays another), logs, Slack and metrics name the tenant, the dashboard
// opens on the table of tenants, and SIGHUP applies a changed tenants file without restart.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startSlack } from "../simulator/slack.ts";
import type { TenantOptions } from "../simulator/tenant.ts";
import { dashboardFor } from "./helpers/dashboard.ts";
import { until } from "./helpers/poll.ts";
import { startService } from "./helpers/process.ts";
import { type DeploymentWorld, deploymentWorld, FILE, startRun } from "./helpers/tenants.ts";
import { world } from "./helpers/world.ts";

/** Every event of the tenant arrived in its Logstash. */
const exported = (tenant: { missing(): string[] }) =>
  tenant.missing().length === 0 ? true : undefined;

async function lastRunOf(d: DeploymentWorld, id: string) {
  return (await d.stored(id)).runs.find((run) => run.outcome !== "skipped");
}

describe("tenants run independently", () => {
  // Each trouble keeps a's execution busy for far longer than b needs to be exported, twice.
  const troubles: { name: string; auth0: TenantOptions; settings?: Record<string, string> }[] = [
    // First: its answers still pending when the test ends keep this file's process a few seconds.
    {
      name: "answers after 8 s",
      auth0: { latencyMs: 8_000 },
      settings: { REQUEST_TIMEOUT: "1m" },
    },
    { name: "fails every request", auth0: { faults: { rate: 1, kinds: ["503"] } } },
    {
      name: "is rate limited for 5 minutes",
      auth0: { rateLimit: { burst: 1, perSecond: 1 / 300 }, retryAfter: true },
    },
  ];
  for (const trouble of troubles) {
    it(`while tenant a ${trouble.name}, the same process exports b on its schedule without delay`, async (t) => {
      const d = await deploymentWorld(t, {
        top: { SCHEDULE: "1s" },
        tenants: {
          a: {
            auth0: { backlog: 300, ...trouble.auth0 },
            settings: { RETRY_MAX_TIME: "5m", ...trouble.settings },
          },
          b: { auth0: { backlog: 40 } },
        },
      });
      const a = d.tenant("a");
      const b = d.tenant("b");
      const service = await startRun(t, d);
      const started = Date.now();
      await until(() => exported(b), { timeoutMs: 4_000 });
      const first = Date.now() - started;
      // b's next events go out at its next ticks, a still stuck in its first execution.
      for (let round = 0; round < 2; round++) {
        const added = Date.now();
        b.auth0.addEvents(5);
        await until(() => exported(b), { timeoutMs: 3_000 });
        assert.ok(Date.now() - added < 3_000);
      }
      assert.ok(first < 4_000, `b's backlog took ${first} ms`);
      // The last execution of b commits and logs just after its batch arrived.
      const caughtUp = await until(() => {
        const lines = service.logs().filter((line) => line.msg === "caught up");
        return lines.length >= 3 ? lines : undefined;
      });
      assert.ok(a.missing().length > 0, "a has not caught up");
      assert.equal((await lastRunOf(d, "a"))?.outcome, "running", "a's first execution goes on");
      const bRuns = (await d.stored("b")).runs.filter((run) => run.outcome === "success");
      assert.ok(bRuns.length >= 3, `${bRuns.length} executions of b`);

      // Every line about a job names its tenant.
      const lines = service.logs();
      assert.ok(caughtUp.every((line) => line.tenant === "b"));
      for (const line of lines.filter((l) => l.runId !== undefined || l.side !== undefined)) {
        assert.ok(line.tenant === "a" || line.tenant === "b", JSON.stringify(line));
      }
      if (trouble.name === "fails every request") {
        const retries = lines.filter((line) => line.side === "auth0");
        assert.ok(retries.length > 0 && retries.every((line) => line.tenant === "a"));
        assert.match(retries[0]?.msg ?? "", /503.*retrying in/);
      }
    });
  }

  it("Slack messages name the tenant, sent to its own webhook or the top level's", async (t) => {
    const shared = await startSlack();
    const own = await startSlack();
    t.after(async () => {
      await shared.close();
      await own.close();
    });
    const d = await deploymentWorld(t, {
      top: { SCHEDULE: "1s", SLACK_INCOMING_WEBHOOK: shared.url },
      tenants: {
        a: {
          auth0: { backlog: 10, faults: { rate: 1, kinds: ["503"] } },
          settings: { RETRY_MAX_TIME: "300ms" },
        },
        b: {
          auth0: { backlog: 10 },
          settings: { SLACK_INCOMING_WEBHOOK: own.url, SLACK_SEND_SUCCESS: "true" },
        },
      },
    });
    await startRun(t, d);
    await until(() => (shared.messages.length > 0 && own.messages.length > 0 ? true : undefined));
    const failed = shared.messages[0]?.text ?? "";
    assert.match(failed, /^Auth0 log export failed \(tenant a\)\n/);
    assert.match(failed, /Service Unavailable|503/);
    assert.match(own.messages[0]?.text ?? "", /^Auth0 log export succeeded \(tenant b\)\n/);
    assert.ok(
      shared.messages.every((m) => !/tenant b/.test(m.text ?? "")),
      "b's messages go to b's webhook only",
    );
    assert.ok(own.messages.every((m) => !/tenant a/.test(m.text ?? "")));
    assert.ok(
      [...shared.messages, ...own.messages].every(
        (m) => !(m.text ?? "").includes(d.tenant("a").secret),
      ),
    );
  });
});

describe("one process, several tenants: metrics and dashboard", () => {
  it("/metrics carries a tenant label on every job's series", async (t) => {
    const d = await deploymentWorld(t, {
      top: { SCHEDULE: "1s" },
      tenants: { a: { auth0: { backlog: 20 } }, b: { auth0: { backlog: 40 } } },
    });
    const service = await startRun(t, d);
    await until(() => exported(d.tenant("a")));
    await until(() => exported(d.tenant("b")));
    const metric = async (name: string) => {
      const text = (await service.call("/metrics")).text;
      return Object.fromEntries(
        [...text.matchAll(new RegExp(`^${name}\\{tenant="([a-z])"[^}]*\\} (\\S+)$`, "gm"))].map(
          (m) => [m[1], Number(m[2])],
        ),
      );
    };
    const sent = await until(async () => {
      const value = await metric("auth0_logs_exporter_events_sent_total");
      return value.a !== undefined && value.b !== undefined ? value : undefined;
    });
    assert.deepEqual(sent, {
      a: d.tenant("a").auth0.eventIds().length,
      b: d.tenant("b").auth0.eventIds().length,
    });
    const text = (await service.call("/metrics")).text;
    for (const id of ["a", "b"]) {
      for (const series of [
        `auth0_logs_exporter_events_read_total{tenant="${id}"}`,
        `auth0_logs_exporter_executions_total{tenant="${id}",outcome="success"}`,
        `auth0_logs_exporter_checkpoint_lag_seconds{tenant="${id}"}`,
        `auth0_logs_exporter_last_success_timestamp_seconds{tenant="${id}"}`,
        `auth0_logs_exporter_retries_total{tenant="${id}",side="auth0"}`,
        `auth0_logs_exporter_retries_total{tenant="${id}",side="logstash"}`,
      ]) {
        assert.ok(text.includes(series), `${series} in:\n${text}`);
      }
    }
    assert.match(text, /^auth0_logs_exporter_tenants_held 2$/m);
  });

  it("opens on the table of tenants; each tenant's API and settings, secrets and ${VAR} values masked", async (t) => {
    const index = "index-of-b-from-var";
    const d = await deploymentWorld(t, {
      top: { SCHEDULE: "1h", RETRY_MAX_TIME: "45s" },
      tenants: {
        a: { auth0: { backlog: 1 } },
        b: { auth0: { backlog: 1 }, settings: { LOGSTASH_INDEX: "${B_INDEX}", BATCH_SIZE: "50" } },
      },
      env: { B_INDEX: index },
    });
    const service = await startRun(t, d);
    assert.equal((await service.call("/api/tenants")).status, 401);
    assert.equal((await service.signIn()).status, 303);

    const home = await service.call("/");
    assert.equal(home.status, 200, "the tenants page, not a redirect");
    assert.match(home.text, /data-page="tenants"/);

    const list = JSON.parse((await service.call("/api/tenants")).text);
    assert.deepEqual(
      list.tenants.map((s: { id: string; here: boolean }) => [s.id, s.here]),
      [
        ["a", true],
        ["b", true],
      ],
    );
    for (const status of list.tenants) {
      assert.equal(status.holder.pid, service.child.pid, "held by this process");
      assert.equal(status.holder.command, "run");
    }
    assert.equal(list.replica.pid, service.child.pid);

    const b = await service.call("/api/tenants/b/status");
    assert.equal(b.status, 200);
    const status = JSON.parse(b.text);
    assert.equal(status.id, "b");
    assert.equal(status.schedule, "1h");
    assert.ok(status.sink.includes(new URL(d.tenant("b").logstash.url).host), status.sink);
    assert.equal((await service.call("/api/tenants/nope/status")).status, 404);
    assert.equal((await service.call("/api/tenants/nope/settings")).status, 404);
    assert.equal((await service.call("/tenants/nope")).status, 404);
    assert.equal((await service.call("/tenants/b")).status, 200);

    const answer = await service.call("/api/tenants/b/settings");
    assert.equal(answer.status, 200);
    const { tenant, settings } = JSON.parse(answer.text) as {
      tenant: string;
      settings: { name: string; value: string | null; where: string | null; scope: string }[];
    };
    assert.equal(tenant, "b");
    const setting = (name: string) => settings.find((s) => s.name === name);
    assert.ok(
      settings.every((s) => s.scope === "job"),
      "a tenant's page shows job settings",
    );
    const inB = (name: string) => `tenants.b.${name} (${FILE}:${d.lineOf(`${name}:`, "  b:")})`;
    assert.deepEqual(setting("BATCH_SIZE"), {
      ...setting("BATCH_SIZE"),
      value: "50",
      where: inB("BATCH_SIZE"),
    });
    assert.deepEqual(setting("LOGSTASH_INDEX"), {
      ...setting("LOGSTASH_INDEX"),
      value: "•••••• (set)",
      where: inB("LOGSTASH_INDEX"),
    });
    assert.deepEqual(setting("AUTH0_CLIENT_SECRET"), {
      ...setting("AUTH0_CLIENT_SECRET"),
      value: "•••••• (set)",
      where: inB("AUTH0_CLIENT_SECRET"),
    });
    assert.equal(setting("RETRY_MAX_TIME")?.value, "45s");
    assert.equal(
      setting("RETRY_MAX_TIME")?.where,
      `RETRY_MAX_TIME (${FILE}:${d.lineOf("RETRY_MAX_TIME:")})`,
    );
    assert.equal(setting("LOG_TYPES")?.where, null, "not written in the file");
    for (const secret of [index, d.tenant("b").secret, d.tenant("a").secret]) {
      assert.ok(!answer.text.includes(secret), `${secret} shown`);
    }
    const a = JSON.parse((await service.call("/api/tenants/a/settings")).text);
    assert.equal(
      a.settings.find((s: { name: string }) => s.name === "LOGSTASH_INDEX").value,
      "auth0-a",
    );

    const processWide = JSON.parse((await service.call("/api/settings")).text);
    assert.equal(processWide.file, FILE);
    assert.deepEqual(processWide.tenants, ["a", "b"]);
    const names = processWide.settings.map((s: { name: string }) => s.name);
    assert.ok(processWide.settings.every((s: { scope: string }) => s.scope === "process"));
    assert.ok(names.includes("DATABASE_URL") && names.includes("HTTP_PORT"));
    assert.ok(!names.includes("AUTH0_DOMAIN") && !names.includes("LOGSTASH_INDEX"));
  });

  it("with one tenant, / redirects to its overview", async (t) => {
    const d = await dashboardFor(t, await world(t));
    await d.signIn();
    const home = await d.request("/");
    assert.equal(home.status, 302);
    assert.equal(home.headers.get("location"), "/tenants/default");
    assert.equal((await d.request("/?all")).status, 200, "the list of one, when asked for");
  });
});

describe("SIGHUP", () => {
  it("without a tenants file, changes nothing and the service runs on", async (t) => {
    const w = await world(t, { tenant: { backlog: 5 } });
    const service = await startService({ ...w.env, SCHEDULE: "1s" }, w.dir);
    t.after(async () => {
      await service.stop();
    });
    service.child.kill("SIGHUP");
    await until(() => (/"msg":"SIGHUP: no tenants file/.test(service.stderr()) ? true : undefined));
    assert.equal((await service.call("/healthz")).status, 200);
    await until(() => (w.missing().length === 0 ? true : undefined));
    assert.equal(service.child.exitCode, null);
  });

  it("applies a changed tenants file: a removed tenant stops after its current execution, an added one is exported", async (t) => {
    const d = await deploymentWorld(t, {
      top: { SCHEDULE: "1s" },
      tenants: {
        a: { auth0: { backlog: 3000 }, logstash: { delayMs: 100 } },
        b: { auth0: { backlog: 200 } },
      },
    });
    const a = d.tenant("a");
    const b = d.tenant("b");
    d.write(d.yaml(["a"]));
    const service = await startRun(t, d);
    await until(() => (a.logstash.requests.length >= 2 ? true : undefined));
    assert.equal(b.auth0.stats.logRequests, 0);

    d.write(d.yaml(["b"]));
    const hup = new Date().toISOString();
    service.child.kill("SIGHUP");
    await until(() => exported(b), { timeoutMs: 6_000 });
    const reloaded = service.logs().find((line) => line.msg === "tenants file reloaded");
    assert.deepEqual([reloaded?.added, reloaded?.removed], [["b"], ["a"]]);

    const runsOfA = (await d.stored("a")).runs.filter((run) => run.outcome !== "skipped");
    assert.ok(runsOfA.length > 0 && runsOfA.every((run) => run.startedAt < hup), "no new run of a");
    assert.ok(
      runsOfA.every((run) => run.outcome !== "running"),
      "a's execution ended",
    );
    assert.equal(runsOfA[0]?.outcome, "aborted", "stopped before caught up, at a commit");
    assert.ok(a.missing().length > 0);
    assert.equal(await d.withStore((store) => store.forJob("a").leases.holder()), null);
    // Only a tenant's holder reports its lag: a's gauge is gone, its counters stay.
    const metrics = (await service.call("/metrics")).text;
    assert.doesNotMatch(metrics, /auth0_logs_exporter_checkpoint_lag_seconds\{tenant="a"\}/);
    assert.match(metrics, /auth0_logs_exporter_events_sent_total\{tenant="a"\} [1-9]/);
    assert.match(metrics, /auth0_logs_exporter_checkpoint_lag_seconds\{tenant="b"\}/);
    const sentToA = a.logstash.requests.length;
    // b's schedule ticks every second; a, were it still scheduled, would have started again.
    b.auth0.addEvents(3);
    await until(() => exported(b), { timeoutMs: 3_000 });
    assert.equal(a.logstash.requests.length, sentToA);
    assert.equal(service.child.exitCode, null, "still running");
  });

  it("keeps the tenants running on a file that no longer loads, and logs every problem", async (t) => {
    const d = await deploymentWorld(t, {
      top: { SCHEDULE: "1s" },
      tenants: { a: { auth0: { backlog: 10 } }, b: { auth0: { backlog: 10 } } },
    });
    const service = await startRun(t, d);
    await until(() => exported(d.tenant("a")));
    await until(() => exported(d.tenant("b")));

    const broken = d
      .yaml(["b"])
      .replace("tenants:\n", "BATCH_SIZE: ${UNSET_BATCH}\ntenants:\n")
      .replace("  b:\n", "  b:\n    BATCH_SIZE: 0\n");
    d.write(broken);
    service.child.kill("SIGHUP");
    const refused = await until(() =>
      service.logs().find((line) => /tenants file not reloaded/.test(line.msg)),
    );
    assert.equal(refused.level, 50, "an error");
    assert.ok(
      refused.msg.includes(`tenants.b.BATCH_SIZE (${FILE}:${d.lineOf("BATCH_SIZE: 0")}): must be`),
      refused.msg,
    );
    assert.ok(
      refused.msg.includes(
        `BATCH_SIZE (${FILE}:${d.lineOf("${UNSET_BATCH}")}): \${UNSET_BATCH} is not set`,
      ),
      refused.msg,
    );
    assert.ok(!refused.msg.includes(d.tenant("b").secret));

    // Both tenants, a among them, go on as before.
    for (const id of ["a", "b"]) d.tenant(id).auth0.addEvents(3);
    await until(() => exported(d.tenant("a")), { timeoutMs: 3_000 });
    await until(() => exported(d.tenant("b")), { timeoutMs: 3_000 });
    assert.ok(!service.logs().some((line) => line.msg === "tenants file reloaded"));
  });
});
