import { ConfigError } from "../../errors.ts";
import { JOB_SCHEDULE } from "../../runner/job.ts";
import { parseSchedule, scheduleProblem } from "../../runner/schedule.ts";
import { effectiveSchedule } from "../../runner/service.ts";
import { type Command, EXIT } from "../command.ts";
import { withSettingsStore } from "../store-command.ts";

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

Exit status: 0, or 2 for bad settings or arguments.`,
  options: {},
  async run(_values, positionals, io) {
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
    return withSettingsStore(io, async (store, settings) => {
      if (action === "set") await store.setJob(JOB_SCHEDULE, (expression as string).trim());
      if (action === "reset") await store.deleteJob(JOB_SCHEDULE);
      const effective = await effectiveSchedule(store, settings.schedule);
      if (effective.ignored) io.stderr.write(`warning: ${effective.ignored}\n`);
      const next = parseSchedule(effective.expression).next();
      io.stdout.write(
        `Schedule: ${effective.expression} (${effective.source === "stored" ? "stored; 'schedule reset' goes back to SCHEDULE" : "SCHEDULE"})${next ? `, next run ${next.toISOString()}` : ""}\n`,
      );
      return EXIT.ok;
    });
  },
};
