import { timeOfCheckpoint } from "../../auth0/checkpoint.ts";
import { ConfigError } from "../../errors.ts";
import { isEnabled } from "../../runner/job.ts";
import { parseSchedule } from "../../runner/schedule.ts";
import { effectiveSchedule } from "../../runner/service.ts";
import { duration } from "../../util/duration-text.ts";
import { type Command, EXIT } from "../command.ts";
import { runsTable } from "../runs-table.ts";
import { withSettingsStore } from "../store-command.ts";

export const status: Command = {
  name: "status",
  summary: "Show the job's state, schedule, next run, checkpoint and lag, and the last runs",
  usage: `Usage: auth0-logs-to-logstash status [--json] [--limit N]

Reads the store (DATABASE_URL): whether the job is enabled, its schedule and next run time, the
current checkpoint and how far it is behind now, and the last runs.

Options:
  --json       print it as JSON, for scripts
  --limit N    how many runs to show (default 10)
  -h, --help   show this help

Exit status: 0, or 2 for bad settings or arguments.`,
  options: { json: { type: "boolean" }, limit: { type: "string" } },
  async run(values, _positionals, io) {
    const limit = parseLimit(values.limit);
    return withSettingsStore(io, async (store, settings) => {
      const effective = await effectiveSchedule(store, settings.schedule);
      const expression = effective.expression;
      if (effective.ignored) io.stderr.write(`warning: ${effective.ignored}\n`);
      const next = parseSchedule(expression).next();
      const state = await store.getCheckpoint();
      const time = state.checkpoint ? timeOfCheckpoint(state.checkpoint) : null;
      const lagMs = time ? Date.now() - time.getTime() : null;
      const runs = await store.listRuns(limit);
      const enabled = await isEnabled(store);
      if (values.json) {
        io.stdout.write(
          `${JSON.stringify({ enabled, schedule: expression, nextRunAt: enabled ? (next?.toISOString() ?? null) : null, checkpoint: state.checkpoint, checkpointTime: time?.toISOString() ?? null, lagSeconds: lagMs === null ? null : Math.round(lagMs / 1000), runs }, null, 2)}\n`,
        );
        return EXIT.ok;
      }
      const lines = [
        `State:       ${enabled ? "enabled" : "disabled (no executions; 'enable' to resume)"}`,
        `Schedule:    ${expression}${enabled && next ? `, next run ${next.toISOString()}` : ""}`,
        `Checkpoint:  ${state.checkpoint ?? "none yet (the first execution starts from START_FROM or the look-back)"}`,
      ];
      if (time && lagMs !== null)
        lines.push(
          `Lag:         ${duration(lagMs)} behind (checkpoint time ${time.toISOString()})`,
        );
      lines.push("", runs.length ? runsTable(runs) : "No runs yet.");
      io.stdout.write(`${lines.join("\n")}\n`);
      return EXIT.ok;
    });
  },
};

export function parseLimit(value: unknown, fallback = 10): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ConfigError([
      `--limit: must be a whole number from 1 to 10000, got "${String(value)}"`,
    ]);
  }
  return limit;
}
