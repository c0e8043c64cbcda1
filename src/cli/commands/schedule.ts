import { ConfigError } from "../../errors.ts";
import { changeSchedule } from "../../runner/job-actions.ts";
import { effectiveSchedule } from "../../runner/job-schedule.ts";
import { parseSchedule } from "../../runner/schedule.ts";
import { scheduleProblem } from "../../settings-kit/schedule.ts";
import { type Command, EXIT, TENANT_HELP, TENANT_OPTION } from "../command.ts";
import { storedJob, withStoreView } from "../store-command.ts";

export const schedule: Command = {
  name: "schedule",
  summary:
    "Show the schedule, change it (schedule set EXPR), or go back to SCHEDULE (schedule reset)",
  usage: `Usage: auth0-logs-to-logstash schedule
       auth0-logs-to-logstash schedule set EXPRESSION
       auth0-logs-to-logstash schedule reset

Shows the schedule in effect and where it comes from. The dashboard and 'schedule set' store a
schedule that overrides SCHEDULE; 'schedule reset' removes it, so that SCHEDULE applies again.
A running service follows within a few seconds, without restart.

EXPRESSION is a cron expression of 5 or 6 fields, or an interval from 1s to 30d such as 5m.

Options:
${TENANT_HELP}

Exit status: 0; 1 when there is no store at DATABASE_URL (showing the schedule creates none; set
and reset do); 2 for bad settings or arguments.`,
  positionals: true,
  options: { ...TENANT_OPTION },
  async run(values, positionals, io) {
    const [action, expression, ...extra] = positionals;
    if (action !== undefined && action !== "set" && action !== "reset") {
      throw new ConfigError([
        `schedule: unknown argument "${action}"; use: schedule set EXPRESSION, or schedule reset`,
      ]);
    }
    if (action === "set" && (expression === undefined || extra.length > 0)) {
      throw new ConfigError([
        'schedule set: needs one expression (quote cron expressions: "*/5 * * * *")',
      ]);
    }
    if (action === "reset" && expression !== undefined) {
      throw new ConfigError([`schedule reset: unexpected argument "${expression}"`]);
    }
    if (action === "set") {
      const problem = scheduleProblem(expression as string);
      if (problem)
        throw new ConfigError([
          `schedule set: "${(expression as string).slice(0, 60)}": ${problem}`,
        ]);
    }
    return withStoreView(io, action === undefined ? "read" : "write", async (root, view) => {
      const job = storedJob(view, values.tenant);
      const store = root.forJob(job.id);
      if (action === "set" || action === "reset") {
        await changeSchedule(
          store,
          undefined,
          action === "set" ? (expression as string).trim() : null,
        );
      }
      const effective = await effectiveSchedule(store, job.schedule);
      if (effective.ignored) io.stderr.write(`warning: ${effective.ignored}\n`);
      const next = parseSchedule(effective.expression).next();
      io.stdout.write(
        `Schedule: ${effective.expression} (${effective.source === "stored" ? "stored; 'schedule reset' goes back to SCHEDULE" : "SCHEDULE"})${next ? `, next run ${next.toISOString()}` : ""}\n`,
      );
      return EXIT.ok;
    });
  },
};
