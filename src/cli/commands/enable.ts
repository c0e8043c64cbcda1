import { setEnabled } from "../../runner/job.ts";
import { type Command, EXIT, TENANT_HELP, TENANT_OPTION } from "../command.ts";
import { storedJob, withStoreView } from "../store-command.ts";

function toggle(name: "enable" | "disable"): Command {
  const enabled = name === "enable";
  return {
    name,
    summary: enabled
      ? "Switch the job on: scheduled executions run again"
      : "Switch the job off: no executions until enabled",
    usage: `Usage: auth0-logs-to-logstash ${name} [--tenant ID]

${enabled ? "Switches the job on" : "Switches the job off"} in the store (DATABASE_URL); a running service follows at its next
tick without restart. ${enabled ? "" : "An execution already running finishes. "}The checkpoint is kept.

Options:
${TENANT_HELP}

Exit status: 0, or 2 for bad settings.`,
    options: { ...TENANT_OPTION },
    async run(values, positionals, io) {
      if (positionals.length > 0) {
        io.stderr.write(`error: ${name}: unexpected argument "${positionals[0]}"\n`);
        return EXIT.usage;
      }
      return withStoreView(io, "write", async (store, view) => {
        const job = storedJob(view, values.tenant);
        await setEnabled(store.forJob(job.id), enabled);
        const which = job.id === "default" ? "Job" : `Tenant ${job.id}`;
        io.stdout.write(`${which} ${enabled ? "enabled" : "disabled"}.\n`);
        return EXIT.ok;
      });
    },
  };
}

export const enable = toggle("enable");
export const disable = toggle("disable");
