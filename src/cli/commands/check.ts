import { checkpointAt } from "../../auth0/checkpoint.ts";
import { Auth0Source } from "../../auth0/source.ts";
import { describe } from "../../errors.ts";
import { newStats } from "../../runner/once.ts";
import { logstashSinkConfig } from "../../sinks/logstash/config.ts";
import { LogstashSink } from "../../sinks/logstash/sink.ts";
import { newAgent } from "../../util/http.ts";
import { newBudget } from "../../util/retry.ts";
import { mask, redactUrl } from "../../util/secrets.ts";
import { type Command, EXIT, loadSettings, withStore } from "../command.ts";

export const check: Command = {
  name: "check",
  summary: "Check the settings, Auth0 access and Logstash, step by step",
  usage: `Usage: auth0-logs-to-logstash check

Validates the settings, gets a token, reads one page of logs, and POSTs an empty array to
Logstash, reporting each step as ok or the exact reason it failed. Moves no checkpoint.

Exit status: 0 every step ok, 1 a step failed, 2 bad settings.`,
  options: {},
  async run(_values, _positionals, io) {
    const config = loadSettings(io);
    io.stdout.write(
      `ok    settings (Auth0 ${config.auth0.origin}, Logstash ${redactUrl(config.logstash.url)})\n`,
    );
    for (const warning of config.warnings) io.stdout.write(`WARN  ${warning}\n`);
    // check should answer quickly: a short retry budget, so a dead peer is reported, not waited on.
    const budget = newBudget(Math.min(config.retryMaxTimeMs, 5_000));
    const stats = newStats();
    const agent = newAgent(config.requestTimeoutMs);
    const step = async (name: string, work: () => Promise<string | undefined>) => {
      try {
        const detail = await work();
        io.stdout.write(`ok    ${name}${detail ? ` (${detail})` : ""}\n`);
        return true;
      } catch (error) {
        io.stdout.write(`FAIL  ${name}: ${mask(describe(error))}\n`);
        return false;
      }
    };
    try {
      return await withStore(config, async (store) => {
        const source = new Auth0Source({
          ...config.auth0,
          batchSize: 1,
          store,
          dispatcher: agent,
          budget,
          stats,
        });
        const sink = new LogstashSink({ config: logstashSinkConfig(config), budget, stats });
        const ok = await step("store", async () => {
          const state = await store.getCheckpoint();
          return state.checkpoint ? `checkpoint ${state.checkpoint}` : "no checkpoint yet";
        });
        const token = await step("Auth0 token", async () => {
          await source.authenticate();
          return source.tokensIssued > 0 ? "new token issued and cached" : "cached token reused";
        });
        let logs = false;
        if (token) {
          logs = await step("Auth0 logs (one page)", async () => {
            const state = await store.getCheckpoint();
            const from =
              state.checkpoint ?? checkpointAt(new Date(Date.now() - config.initialLookbackMs));
            const page = await source.read(source.firstRead(from));
            return page.caughtUp
              ? "no event after the checkpoint"
              : `read ${page.events.length} event`;
          });
        }
        const logstash = await step("Logstash (POST [])", async () => {
          await sink.check();
          return undefined;
        });
        await sink.close();
        return ok && token && logs && logstash ? EXIT.ok : EXIT.failed;
      });
    } finally {
      await agent.close();
    }
  },
};
