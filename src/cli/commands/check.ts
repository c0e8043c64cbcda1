import { checkpointAt } from "../../auth0/checkpoint.ts";
import { describe } from "../../errors.ts";
import { assembleJob } from "../../runner/assemble.ts";
import { newStats } from "../../runner/once.ts";
import { newBudget } from "../../util/retry.ts";
import { mask } from "../../util/secrets.ts";
import { type Command, EXIT, loadSettings, loggerFor, withStore } from "../command.ts";

export const check: Command = {
  name: "check",
  summary: "Check the settings, Auth0 access and the sink, step by step",
  usage: `Usage: auth0-logs-to-logstash check

Validates the settings, gets a token, reads one page of logs, and checks the sink: Logstash gets
an empty array; Elasticsearch or OpenSearch says what it is (GET /) and whether the index template
and lifecycle policy are installed. Reports each step as ok or the exact reason it failed. Moves no
checkpoint and writes no document.

Exit status: 0 every step ok, 1 a step failed, 2 bad settings.`,
  options: {},
  async run(_values, _positionals, io) {
    const config = loadSettings(io);
    return withStore(config, async (store) => {
      const job = await assembleJob(config, {
        store,
        logger: loggerFor({ exporterLogLevel: "silent" }, io),
        batchSize: 1,
      });
      io.stdout.write(`ok    settings (Auth0 ${config.auth0.origin}, ${job.sink.info.target})\n`);
      for (const warning of config.warnings) io.stdout.write(`WARN  ${warning}\n`);
      // check should answer quickly: a short retry budget, so a dead peer is reported, not waited on.
      const context = {
        budget: newBudget(Math.min(config.retryMaxTimeMs, 5_000)),
        stats: newStats(),
      };
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
        const ok = await step("store", async () => {
          const state = await store.getCheckpoint();
          return state.checkpoint ? `checkpoint ${state.checkpoint}` : "no checkpoint yet";
        });
        const token = await step("Auth0 token", async () => {
          await job.source.authenticate(context);
          return job.source.tokensIssued > 0
            ? "new token issued and cached"
            : "cached token reused";
        });
        let logs = false;
        if (token) {
          logs = await step("Auth0 logs (one page)", async () => {
            const state = await store.getCheckpoint();
            const from =
              state.checkpoint ?? checkpointAt(new Date(Date.now() - config.initialLookbackMs));
            const page = await job.source.read(job.source.firstRead(from), context);
            return page.caughtUp
              ? "no event after the checkpoint"
              : `read ${page.events.length} event`;
          });
        }
        const sink = await step(
          job.sink.info.kind === "logstash" ? "Logstash" : "Elasticsearch",
          () => job.sink.check(context),
        );
        return ok && token && logs && sink ? EXIT.ok : EXIT.failed;
      } finally {
        await job.close();
      }
    });
  },
};
