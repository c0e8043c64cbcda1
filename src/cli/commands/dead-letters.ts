import { ConfigError } from "../../errors.ts";
import type { DeadLetter, DeadLetterState } from "../../interfaces.ts";
import { assembleJob } from "../../runner/assemble.ts";
import { retryDeadLetters } from "../../runner/dead-letters.ts";
import { newStats } from "../../runner/once.ts";
import { newBudget } from "../../util/retry.ts";
import {
  type Command,
  chooseJob,
  didYouMean,
  EXIT,
  loadSettings,
  loggerFor,
  quoted,
  TENANT_HELP,
  TENANT_OPTION,
  withStore,
} from "../command.ts";
import { columns } from "../format.ts";
import { storedJob, withStoreView } from "../store-command.ts";
import { parseLimit } from "./status.ts";

const STATES = ["pending", "resolved", "all"];
const ACTIONS = ["list", "show", "retry", "delete"];

function table(letters: DeadLetter[]): string {
  const rows = letters.map((letter) => [
    String(letter.id),
    letter.logId,
    letter.createdAt.replace("T", " ").slice(0, 19),
    String(letter.attempts),
    letter.resolvedAt ? "resolved" : "pending",
    `${letter.status} ${letter.reason}`.slice(0, 80),
  ]);
  const header = ["ID", "LOG ID", "KEPT (UTC)", "TRIES", "STATE", "REASON"];
  return columns(header, rows);
}

function ids(values: string[], what: string): number[] {
  if (values.length === 0 || values.some((v) => !/^\d+$/.test(v))) {
    throw new ConfigError([
      `dead-letters ${what}: give dead letter numbers (see: dead-letters list)`,
    ]);
  }
  return values.map(Number);
}

export const deadLetters: Command = {
  name: "dead-letters",
  summary: "List, show, re-send or delete the documents the sink refused for good",
  usage: `Usage: auth0-logs-to-logstash dead-letters [list] [--state pending|resolved|all] [--limit N] [--json]
       auth0-logs-to-logstash dead-letters show ID [--json]
       auth0-logs-to-logstash dead-letters retry ID... | --all
       auth0-logs-to-logstash dead-letters delete ID... | --resolved

A document that Elasticsearch or OpenSearch refuses for what it is (a field whose type conflicts
with the index's mapping, say) is never dropped: it is kept in the store with the cluster's reason,
in the same transaction that moves the checkpoint past it. Fix the cause (usually: run 'setup' so
that the index template applies), then 'retry' sends them again: delivered ones are marked
resolved, refused ones keep the new reason. Nothing is deleted unless you ask ('delete').

Options:
  --state STATE  list pending (default), resolved or all letters
  --limit N      how many to list (default 20)
  --all          retry every pending letter (up to 10 000 at a time)
  --resolved     delete every resolved letter
  --json         print JSON
${TENANT_HELP}
  -h, --help     show this help

Exit status: 0; 1 when a retry left letters refused, a letter does not exist, or there is no store
at DATABASE_URL (list and show create none); 2 bad arguments.`,
  positionals: true,
  options: {
    state: { type: "string" },
    limit: { type: "string" },
    all: { type: "boolean" },
    resolved: { type: "boolean" },
    json: { type: "boolean" },
    ...TENANT_OPTION,
  },
  async run(values, positionals, io) {
    const [action = "list", ...rest] = positionals;
    if (action === "retry") {
      const which = values.all ? "all" : ids(rest, "retry");
      if (values.all && rest.length > 0) {
        throw new ConfigError(["dead-letters retry: give numbers or --all, not both"]);
      }
      const deployment = loadSettings(io);
      const config = chooseJob(deployment, values.tenant);
      const logger = loggerFor(deployment.process, io);
      return withStore(deployment.process, async (root) => {
        const store = root.forJob(config.id);
        const job = await assembleJob(config, { store, logger });
        try {
          const outcome = await retryDeadLetters(store, job.sink, which, {
            budget: newBudget(config.retryMaxTimeMs),
            stats: newStats(),
          });
          io.stdout.write(
            `Re-sent ${outcome.tried}: ${outcome.delivered} delivered, ${outcome.refused} refused again.\n`,
          );
          for (const reason of outcome.reasons) io.stdout.write(`Refused: ${reason}\n`);
          return outcome.refused > 0 ? EXIT.failed : EXIT.ok;
        } finally {
          await job.close();
        }
      });
    }
    if (!["list", "show", "delete"].includes(action)) {
      throw new ConfigError([
        `dead-letters: unknown action ${quoted(action)}${didYouMean(action, ACTIONS)}; use list, show, retry or delete`,
      ]);
    }
    if (action === "list" && rest.length > 0) {
      throw new ConfigError([
        `dead-letters list: unexpected argument${rest.length > 1 ? "s" : ""} ${rest.slice(0, 5).map(quoted).join(" ")}`,
      ]);
    }
    if (action === "show" && rest.length !== 1) {
      throw new ConfigError(["dead-letters show: give one dead letter number"]);
    }
    if (action === "delete" && values.resolved && rest.length > 0) {
      throw new ConfigError(["dead-letters delete: give numbers or --resolved, not both"]);
    }
    return withStoreView(io, action === "delete" ? "write" : "read", async (root, view) => {
      const store = root.forJob(storedJob(view, values.tenant).id);
      if (action === "list") {
        const state = (values.state as string | undefined) ?? "pending";
        if (!STATES.includes(state)) {
          throw new ConfigError([`--state: must be one of ${STATES.join(", ")}, got "${state}"`]);
        }
        const letters = await store.deadLetters.list({
          state: state as DeadLetterState,
          limit: parseLimit(values.limit, 20),
        });
        const counts = await store.deadLetters.count();
        if (values.json) {
          io.stdout.write(`${JSON.stringify({ counts, deadLetters: letters }, null, 2)}\n`);
        } else {
          io.stdout.write(
            `${counts.pending} pending, ${counts.resolved} resolved.\n${letters.length ? `${table(letters)}\n` : ""}`,
          );
        }
        return EXIT.ok;
      }
      if (action === "show") {
        const [letter] = await store.deadLetters.get(ids(rest.slice(0, 1), "show"));
        if (!letter) {
          io.stderr.write(`error: there is no dead letter ${rest[0]}\n`);
          return EXIT.failed;
        }
        io.stdout.write(`${JSON.stringify(letter, null, 2)}\n`);
        return EXIT.ok;
      }
      const which = values.resolved ? "resolved" : ids(rest, "delete");
      // As 'show': a number that is no letter is an error (exit 1), named; the others are deleted.
      const found =
        which === "resolved" ? [] : (await store.deadLetters.get(which)).map((l) => l.id);
      const missing = which === "resolved" ? [] : which.filter((id) => !found.includes(id));
      const deleted =
        which === "resolved" || found.length > 0
          ? await store.deadLetters.delete(which === "resolved" ? which : found)
          : 0;
      io.stdout.write(`Deleted ${deleted} dead letter(s).\n`);
      if (missing.length > 0) {
        io.stderr.write(
          `error: there is no dead letter ${missing.slice(0, 20).join(", ")} (see: dead-letters list --state all)\n`,
        );
        return EXIT.failed;
      }
      return EXIT.ok;
    });
  },
};
