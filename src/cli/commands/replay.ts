import { checkpointAt, isCheckpoint, timeOfCheckpoint } from "../../auth0/checkpoint.ts";
import { ConfigError } from "../../errors.ts";
import { recordReplay } from "../../runner/replay.ts";
import { type Command, EXIT } from "../command.ts";
import { withSettingsStore } from "../store-command.ts";

export const replay: Command = {
  name: "replay",
  summary: "Move the checkpoint back (or forward) to re-send from a log id or a time",
  usage: `Usage: auth0-logs-to-logstash replay --from CHECKPOINT
       auth0-logs-to-logstash replay --since TIMESTAMP

Moves the stored checkpoint; the next execution sends every event after it again (Logstash gets
duplicates of what it already had, never gaps). Recorded as a replay in the run history. A running
service stops its current execution at its next commit and picks the replay up.

Options:
  --from CHECKPOINT  a 56-digit Auth0 log id, e.g. the checkpoint a failed run names
  --since TIMESTAMP  an ISO 8601 time such as 2026-11-24T08:00:00Z (converted to a checkpoint)
  -h, --help         show this help

Exit status: 0 moved, 2 for a malformed checkpoint or time.`,
  options: { from: { type: "string" }, since: { type: "string" } },
  async run(values, positionals, io) {
    if (positionals.length > 0)
      throw new ConfigError([`replay: unexpected argument "${positionals[0]}"`]);
    const from = values.from as string | undefined;
    const since = values.since as string | undefined;
    if ((from === undefined) === (since === undefined)) {
      throw new ConfigError(["replay: give exactly one of --from CHECKPOINT or --since TIMESTAMP"]);
    }
    let checkpoint: string;
    if (from !== undefined) {
      if (!isCheckpoint(from)) {
        throw new ConfigError([
          `--from: "${from.slice(0, 80)}" is not an Auth0 log id: expected 56 digits, "900" + YYYYMMDDhhmmss + 39 digits`,
        ]);
      }
      checkpoint = from;
    } else {
      const time = new Date(since as string);
      if (!/^\d{4}-\d{2}-\d{2}/.test(since as string) || Number.isNaN(time.getTime())) {
        throw new ConfigError([
          `--since: "${String(since).slice(0, 80)}" is not an ISO 8601 time (example: 2026-11-24T08:00:00Z)`,
        ]);
      }
      if (time.getTime() > Date.now())
        throw new ConfigError([`--since: ${time.toISOString()} is in the future`]);
      checkpoint = checkpointAt(time);
    }
    return withSettingsStore(io, async (store, settings) => {
      const result = await recordReplay(store, checkpoint, settings.auth0LogRetentionMs);
      const time = timeOfCheckpoint(checkpoint)?.toISOString();
      io.stdout.write(
        `Checkpoint moved from ${result.previous ?? "none"} to ${checkpoint} (${time}).\nThe next execution sends every event after it (run ${result.runId} records the replay).\n`,
      );
      for (const warning of result.warnings) io.stdout.write(`Warning: ${warning}\n`);
      return EXIT.ok;
    });
  },
};
