import { timeOfCheckpoint } from "../../auth0/checkpoint.ts";
import { ConfigError } from "../../errors.ts";
import { RUN_OUTCOMES, type RunOutcome, type RunRecord } from "../../interfaces.ts";
import { countsText } from "../../util/counts-text.ts";
import { duration } from "../../util/duration-text.ts";
import { type Command, EXIT, TENANT_HELP, TENANT_OPTION } from "../command.ts";
import { runsTable } from "../runs-table.ts";
import { storedJob, withStoreView } from "../store-command.ts";
import { parseLimit } from "./status.ts";

const OUTCOMES: readonly string[] = RUN_OUTCOMES;

/** The process a run's lease names (`host/pidns/boot:pid:random`), its epoch, and its commits'. */
function exporter(run: RunRecord): string {
  const [space = "", pid = "?"] = (run.holder ?? "").split(":");
  const host = space.split("/")[0] || "?";
  const { committedEpochs: committed } = run;
  const stray =
    committed && (committed.low !== run.epoch || committed.high !== run.epoch)
      ? `; commits made under epochs ${committed.low} to ${committed.high}`
      : "";
  return `pid ${pid} on ${host}, lease epoch ${run.epoch ?? "?"}${stray}`;
}

function details(run: RunRecord): string {
  const at = (checkpoint: string | null) => {
    const time = checkpoint ? timeOfCheckpoint(checkpoint) : null;
    return checkpoint ? `${checkpoint}${time ? ` (${time.toISOString()})` : ""}` : "—";
  };
  const took = run.endedAt
    ? duration(Date.parse(run.endedAt) - Date.parse(run.startedAt))
    : "still running";
  const lines = [
    `Run ${run.id}: ${run.outcome} (${run.trigger})`,
    `Started:     ${run.startedAt}`,
    `Ended:       ${run.endedAt ?? "—"} (${took})`,
    `Counts:      ${countsText(run)}, ${run.batches} batches, ${run.retries} retries`,
    `From:        ${at(run.firstCheckpoint)}`,
    `To:          ${at(run.lastCheckpoint)}`,
  ];
  if (run.holder !== null) lines.push(`Exported by: ${exporter(run)}`);
  for (const warning of run.warnings) lines.push(`Warning:     ${warning}`);
  if (run.error) {
    lines.push(`Error:       ${run.error}`);
    lines.push(
      `Replay from: ${run.lastCheckpoint ?? "—"} (auth0-logs-to-logstash replay --from ${run.lastCheckpoint})`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export const runs: Command = {
  name: "runs",
  summary: "List the run history, or show one run: runs show ID",
  usage: `Usage: auth0-logs-to-logstash runs [--tenant ID] [--limit N] [--outcome OUTCOME] [--json]
       auth0-logs-to-logstash runs show ID [--tenant ID] [--json]

Lists the recorded runs, newest first, or shows one run's details: counts, checkpoint range,
timings, retries, warnings, and the error with the checkpoint to replay from.

Options:
  --limit N          how many runs to list (default 20)
  --outcome OUTCOME  only runs that ended so: ${OUTCOMES.join(", ")}
  --json             print JSON
${TENANT_HELP}
  -h, --help         show this help

Exit status: 0; 1 when the run does not exist, or there is no store at DATABASE_URL (none is
created); 2 for bad settings or arguments.`,
  positionals: true,
  options: {
    limit: { type: "string" },
    outcome: { type: "string" },
    json: { type: "boolean" },
    ...TENANT_OPTION,
  },
  async run(values, positionals, io) {
    const [sub, id, ...extra] = positionals;
    if (sub !== undefined && sub !== "show") {
      throw new ConfigError([`runs: unknown argument "${sub}"; use: runs show ID`]);
    }
    if (sub === "show" && (id === undefined || !/^\d+$/.test(id) || extra.length > 0)) {
      throw new ConfigError([
        `runs show: needs one run number, got "${positionals.slice(1).join(" ")}"`,
      ]);
    }
    const outcome = values.outcome as string | undefined;
    if (outcome !== undefined && !OUTCOMES.includes(outcome)) {
      throw new ConfigError([`--outcome: must be one of ${OUTCOMES.join(", ")}, got "${outcome}"`]);
    }
    const limit = parseLimit(values.limit, 20);
    return withStoreView(io, "read", async (root, view) => {
      const store = root.forJob(storedJob(view, values.tenant).id);
      if (sub === "show") {
        const run = await store.runs.get(Number(id));
        if (!run) {
          io.stderr.write(`error: there is no run ${id} (see: auth0-logs-to-logstash runs)\n`);
          return EXIT.failed;
        }
        io.stdout.write(values.json ? `${JSON.stringify(run, null, 2)}\n` : details(run));
        return EXIT.ok;
      }
      const list = await store.runs.list({ limit, outcome: outcome as RunOutcome | undefined });
      io.stdout.write(
        values.json
          ? `${JSON.stringify(list, null, 2)}\n`
          : list.length
            ? `${runsTable(list)}\n`
            : "No runs.\n",
      );
      return EXIT.ok;
    });
  },
};
