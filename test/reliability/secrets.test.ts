// Every command and a failing execution run with distinctive secrets; none may appear in any
// output, log line, run record, metric or Slack payload.

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { startSlack } from "../../simulator/slack.ts";
import { runCli } from "../helpers/cli.ts";
import { startService } from "../helpers/process.ts";
import { serviceFor } from "../helpers/service.ts";
import { world } from "../helpers/world.ts";

const CLIENT_SECRET = "SECRET-client-7f3a9c21";
const TOKEN = "SECRET-token-4b8e2d10";
const PASSWORD = "SECRET-password-9c1f5e77";
const URL_CREDENTIAL = "SECRET-urlpass-2d6a8b44";

/** What the live-log stream sends first (the recent lines), read for a moment. */
async function firstEvents(url: string, cookie: string): Promise<string> {
  const controller = new AbortController();
  const response = await request(url, { headers: { cookie }, signal: controller.signal });
  let text = "";
  const reading = (async () => {
    for await (const chunk of response.body) text += chunk;
  })().catch(() => {});
  await sleep(500);
  controller.abort();
  await reading;
  return text;
}

it("no secret appears in output, logs, run records, metrics or Slack messages", {
  timeout: 120_000,
}, async (t) => {
  const slack = await startSlack();
  t.after(() => slack.close());
  const w = await world(t, {
    tenant: { backlog: 300, clientSecret: CLIENT_SECRET },
    logstash: { user: "elastic", password: PASSWORD },
  });
  const hook = `${slack.url}-SECRET-hook-5e7d9a`;
  const lsUrl = new URL(w.logstash.url);
  lsUrl.username = "ops";
  lsUrl.password = URL_CREDENTIAL;
  const env = {
    ...w.env,
    AUTH0_CLIENT_SECRET: CLIENT_SECRET,
    LOGSTASH_TOKEN: TOKEN,
    LOGSTASH_USER: "elastic",
    LOGSTASH_PASSWORD: PASSWORD,
    SLACK_INCOMING_WEBHOOK: hook,
    SLACK_SEND_SUCCESS: "true",
    EXPORTER_LOG_LEVEL: "trace",
    RETRY_MAX_TIME: "1s",
  };
  const outputs: string[] = [];
  const cli = async (...args: string[]) => {
    const result = await runCli(args, env, w.dir);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  assert.equal((await cli("once")).code, 0);
  assert.ok(
    w.logstash.requests.some((r) => r.url.includes(`token=${TOKEN}`)),
    "the token is really sent",
  );
  w.tenant.addEvents(20);
  w.logstash.failNext("503", 50);
  assert.equal((await cli("once", "--json")).code, 1);
  w.logstash.faults.clear();
  for (const args of [
    ["--help"],
    ["check"],
    ["status"],
    ["status", "--json"],
    ["runs"],
    ["runs", "show", "2"],
    ["disable"],
    ["enable"],
  ]) {
    await cli(...args);
  }
  await cli("replay", "--from", w.tenant.eventIds()[100] as string);
  await cli("once", "--bogus");
  outputs.push((await runCli(["once"], { ...env, LOGSTASH_URL: `::${TOKEN}::` }, w.dir)).stderr);
  // Credentials in the URL instead, and wrong: refused by Logstash, reported without them.
  const { LOGSTASH_USER: _user, LOGSTASH_PASSWORD: _password, ...withoutUser } = env;
  w.tenant.addEvents(5);
  const urlCredentials = await runCli(
    ["once"],
    { ...withoutUser, LOGSTASH_URL: lsUrl.toString() },
    w.dir,
  );
  assert.equal(urlCredentials.code, 1);
  outputs.push(urlCredentials.stdout, urlCredentials.stderr);

  // The service: its logs, its metrics, and what it posts to Slack on failure and recovery.
  const { service, app, lines, notifier } = await serviceFor(t, w, {
    AUTH0_CLIENT_SECRET: CLIENT_SECRET,
    LOGSTASH_TOKEN: TOKEN,
    LOGSTASH_USER: "elastic",
    LOGSTASH_PASSWORD: "wrong-SECRET-pw-3e1c",
    SLACK_INCOMING_WEBHOOK: hook,
    RETRY_MAX_TIME: "1s",
  });
  await service.tick("schedule");
  await notifier.idle();
  outputs.push(
    lines.join(""),
    await (await app.request("/metrics")).text(),
    await (await app.request("/readyz")).text(),
  );
  await service.stop(100);
  // The service process, and everything its dashboard's API shows.
  const running = await startService({ ...env, SCHEDULE: "1s" }, w.dir);
  await sleep(2500);
  assert.equal((await running.signIn()).status, 303);
  for (const path of [
    "/api/tenants/default/status",
    "/api/tenants/default/runs",
    "/api/tenants/default/runs/1",
    "/api/settings",
    "/api/tenants/default/settings",
    "/api/tenants",
    "/metrics",
  ]) {
    outputs.push((await running.call(path)).text);
  }
  outputs.push(await firstEvents(`${running.url}/api/logs`, running.cookie()));
  const served = await running.stop();
  outputs.push(served.stdout, served.stderr);
  outputs.push(JSON.stringify(slack.messages));
  const db = new DatabaseSync(join(w.dir, "state.sqlite"), { readOnly: true });
  outputs.push(
    JSON.stringify(db.prepare("SELECT * FROM runs").all()),
    JSON.stringify(db.prepare("SELECT * FROM job_state").all()),
    JSON.stringify(db.prepare("SELECT * FROM process_state").all()),
    JSON.stringify(db.prepare("SELECT * FROM sessions").all()),
  );
  db.close();

  const all = outputs.join("\n");
  assert.ok(slack.messages.length >= 2, "Slack got messages to check");
  assert.match(all, /Logstash refused the request \(401\)/, "the failures were reported");
  const secrets = [
    CLIENT_SECRET,
    TOKEN,
    PASSWORD,
    URL_CREDENTIAL,
    "wrong-SECRET-pw-3e1c",
    "SECRET-hook-5e7d9a",
    hook,
  ];
  for (const secret of secrets) {
    assert.ok(!all.includes(secret), `${secret} leaked`);
    assert.ok(!all.includes(encodeURIComponent(secret)), `${secret} leaked URL-encoded`);
    assert.ok(
      !all.includes(Buffer.from(`elastic:${secret}`).toString("base64")),
      `${secret} leaked in basic auth`,
    );
  }
});
