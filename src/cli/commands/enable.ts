import { JOB_ENABLED } from "../../runner/job.ts";
import { type Command, EXIT } from "../command.ts";
import { withSettingsStore } from "../store-command.ts";

function toggle(name: "enable" | "disable"): Command {
  const enabled = name === "enable";
  return {
    name,
    summary: enabled
      ? "Switch the job on: scheduled executions run again"
      : "Switch the job off: no executions until enabled",
    usage: `Usage: auth0-logs-to-logstash ${name}

${enabled ? "Switches the job on" : "Switches the job off"} in the store (DATABASE_URL); a running service follows at its next
tick without restart. ${enabled ? "" : "An execution already running finishes. "}The checkpoint is kept.

Exit status: 0, or 2 for bad settings.`,
    options: {},
    async run(_values, positionals, io) {
      if (positionals.length > 0) {
        io.stderr.write(`error: ${name}: unexpected argument "${positionals[0]}"\n`);
        return EXIT.usage;
      }
      return withSettingsStore(io, async (store) => {
        await store.setJob(JOB_ENABLED, enabled ? "true" : "false");
        io.stdout.write(`Job ${enabled ? "enabled" : "disabled"}.\n`);
        return EXIT.ok;
      });
    },
  };
}

export const enable = toggle("enable");
export const disable = toggle("disable");
