import { timeOfCheckpoint } from "../../auth0/checkpoint.ts";
import { ConfigError } from "../../errors.ts";
import { parseReplayTarget, recordReplay } from "../../runner/replay.ts";
import { type Command, EXIT, TENANT_HELP, TENANT_OPTION } from "../command.ts";
import { storedJob, withStoreView } from "../store-command.ts";

export const replay: Command = {
  name: "replay",
  summary: "Move the checkpoint back (or, with --skip, forward) to re-send from a log id or a time",
  usage: `Usage: auth0-logs-to-logstash replay --from CHECKPOINT [--skip] [--tenant ID]
       auth0-logs-to-logstash replay --since TIMESTAMP [--skip] [--tenant ID]

Moves the stored checkpoint; the next execution sends every event after it again (Logstash gets
duplicates of what it already had, never gaps). Recorded as a replay in the run history. A running
service stops its current execution at its next commit and picks the replay up.

A checkpoint later than the stored one would skip the events between the two that were not sent
yet: they would never be sent. That is refused (exit 1, nothing moved) unless --skip says it is
meant; the run history then records it as "skipped-events", naming the time span skipped.

Options:
  --from CHECKPOINT  a 56-digit Auth0 log id, e.g. the checkpoint a failed run names
  --since TIMESTAMP  an ISO 8601 time such as 2026-11-24T08:00:00Z (converted to a checkpoint)
  --skip             allow moving the checkpoint forward, skipping the events not sent yet
${TENANT_HELP}
  -h, --help         show this help

A checkpoint or time in the future is refused: nothing would be read after it.

Exit status: 0 moved; 1 refused, a move forward without --skip (nothing moved); 2 for a malformed
checkpoint or time.`,
  options: {
    from: { type: "string" },
    since: { type: "string" },
    skip: { type: "boolean" },
    ...TENANT_OPTION,
  },
  async run(values, positionals, io) {
    if (positionals.length > 0)
      throw new ConfigError([`replay: unexpected argument "${positionals[0]}"`]);
    const from = values.from as string | undefined;
    const since = values.since as string | undefined;
    if ((from === undefined) === (since === undefined)) {
      throw new ConfigError(["replay: give exactly one of --from CHECKPOINT or --since TIMESTAMP"]);
    }
    const target = parseReplayTarget({ checkpoint: from, since });
    if ("error" in target) {
      const [flag, value] = from !== undefined ? ["--from", from] : ["--since", since as string];
      throw new ConfigError([`${flag}: "${value.slice(0, 80)}": ${target.error}`]);
    }
    const checkpoint = target.checkpoint;
    const at = (id: string) => `${id} (${timeOfCheckpoint(id)?.toISOString() ?? "no valid time"})`;
    return withStoreView(io, "write", async (store, view) => {
      const job = storedJob(view, values.tenant);
      const result = await recordReplay(store.forJob(job.id), checkpoint, job.auth0LogRetentionMs, {
        skip: values.skip === true,
        by: "replay --skip",
      });
      if (!result.moved) {
        io.stderr.write(
          `error: the checkpoint is ${at(result.previous)}: moving it forward to ${at(checkpoint)} would skip ${result.skips}, and they would never be sent. Nothing moved.\nTo skip them on purpose, add --skip (recorded in the run history as skipped-events).\n`,
        );
        return EXIT.failed;
      }
      io.stdout.write(
        result.skipped
          ? `Checkpoint moved forward from ${at(result.previous as string)} to ${at(checkpoint)}, skipping ${result.skipped}: they will never be sent (run ${result.runId} records the skip).\nThe next execution sends every event after it.\n`
          : `Checkpoint moved from ${result.previous ?? "none"} to ${at(checkpoint)}.\nThe next execution sends every event after it (run ${result.runId} records the replay).\n`,
      );
      for (const warning of result.warnings.slice(result.skipped ? 1 : 0)) {
        io.stdout.write(`Warning: ${warning}\n`);
      }
      return EXIT.ok;
    });
  },
};
