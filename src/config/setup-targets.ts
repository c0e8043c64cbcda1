// What `setup` prepares, read for the one sink that has something to install (a sink module's
// `setup`): only the settings setup needs, so that a tenant's Auth0 settings (say) need not be
// valid to prepare its cluster; the sink's settings are read even beside another sink's.

import { ConfigError } from "../errors.ts";
import { type SetupTarget, SINKS, type SinkModule, type SinkSettings } from "../sinks/index.ts";
import { registerSecrets } from "../util/secrets.ts";
import { layered } from "./deployment.ts";
import { gatherSettings, type RawSettings, readTenants } from "./gather.ts";
import { chosenSinks, documentFormat } from "./job.ts";
import { misspeltWarnings, parseRows, withTypoHints } from "./messages.ts";
import { settings } from "./settings.ts";

export type { SetupTarget };

/** The sink `setup` prepares: the one with something to install. */
function setupSink(): SinkModule & { setup: NonNullable<SinkModule["setup"]> } {
  const module = SINKS.find((sink) => sink.setup !== undefined);
  if (module?.setup === undefined) throw new Error("no sink has a setup");
  return module as SinkModule & { setup: NonNullable<SinkModule["setup"]> };
}

/** Its own rows, the job settings setup reads, and what chooses each sink (for the format). */
function setupRows(module: SinkModule) {
  const names = new Set([
    ...module.settings.map((s) => s.name),
    ...SINKS.flatMap((sink) => sink.selectedBy),
    "DOCUMENT_FORMAT",
    "REQUEST_TIMEOUT",
    "RETRY_MAX_TIME",
    "EXPORTER_LOG_LEVEL",
    "ALLOW_INSECURE_HTTP",
  ]);
  return settings.filter((s) => names.has(s.name));
}

type Target = Omit<SetupTarget, "tenants">;

function setupFrom(module: SinkModule, raw: RawSettings): { target?: Target; problems: string[] } {
  const setup = module.setup as NonNullable<SinkModule["setup"]>;
  const problems = [...raw.problems];
  const parsed = parseRows(raw, setupRows(module), problems);
  const warnings: string[] = [];
  const main = module.selectedBy[0] as string;
  if (module.selectedBy.every((name) => parsed[name] === undefined)) {
    if (raw.values[main] === undefined) problems.push(setup.required);
  }
  const sink: SinkSettings | undefined =
    problems.length > 0 ? undefined : module.configFrom(parsed, problems, warnings);
  if (sink) registerSecrets(...module.secretForms(sink));
  if (problems.length > 0 || sink === undefined) {
    return { problems: withTypoHints(problems, raw) };
  }
  // The format the exporter writes there: with another sink chosen (Logstash in front), its default.
  const writer = chosenSinks(parsed).find((other) => other !== module) ?? module;
  return {
    problems,
    target: {
      sink,
      documentFormat: documentFormat(parsed, writer),
      requestTimeoutMs: parsed.REQUEST_TIMEOUT as number,
      retryMaxTimeMs: parsed.RETRY_MAX_TIME as number,
      exporterLogLevel: parsed.EXPORTER_LOG_LEVEL as string,
      warnings,
    },
  };
}

/**
 * What `setup` prepares, and the sink that prepares it. From the environment: its one target.
 * From a tenants file: the target of `tenant`, or without it of every tenant that names one, each
 * target once with the tenants that write there. Every problem at once, named as the file names it.
 */
export function loadSetupTargets(
  env: Record<string, string | undefined>,
  options: { cwd?: string; tenant?: string } = {},
): { module: SinkModule; targets: SetupTarget[] } {
  const module = setupSink();
  const { setup } = module;
  const cwd = options.cwd ?? process.cwd();
  let gathered = gatherSettings(env, cwd);
  const file = gathered.values.CONFIG_FILE?.trim();
  const { tenant } = options;
  if (file === undefined || file === "") {
    if (tenant !== undefined && tenant !== "default") {
      throw new ConfigError([
        `--tenant: no tenant "${tenant.slice(0, 64)}"; without a tenants file (CONFIG_FILE) the one tenant is default`,
      ]);
    }
    const { target, problems } = setupFrom(module, gathered);
    if (!target) throw new ConfigError(problems);
    const warnings = [...misspeltWarnings(gathered), ...target.warnings];
    return { module, targets: [{ ...target, warnings, tenants: ["default"] }] };
  }
  const read = readTenants(env, cwd, file, gathered);
  const { tenantsFile } = read;
  gathered = read.gathered;
  const problems = [...gathered.problems, ...tenantsFile.problems];
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const ids = tenantsFile.tenants.map((t) => t.id);
  const entries = tenantsFile.tenants.filter((t) => tenant === undefined || t.id === tenant);
  if (entries.length === 0) {
    throw new ConfigError([
      tenant === undefined
        ? `CONFIG_FILE (${file}): no tenant`
        : `--tenant: no tenant "${tenant.slice(0, 64)}"; tenants: ${ids.join(", ")}`,
    ]);
  }
  const targets = new Map<string, SetupTarget>();
  for (const entry of entries) {
    const { raw, relabel } = layered(gathered, tenantsFile.top, entry);
    const named = module.selectedBy.some((name) => raw.values[name] !== undefined);
    // Without --tenant, tenants that choose another sink alone have nothing to set up.
    if (tenant === undefined && !named) continue;
    const result = setupFrom(module, raw);
    problems.push(...result.problems.map(relabel).filter((p) => p !== undefined));
    if (!result.target) continue;
    const key = setup.key({ ...result.target, tenants: [] });
    const same = targets.get(key);
    if (same) same.tenants.push(entry.id);
    else targets.set(key, { ...result.target, tenants: [entry.id] });
  }
  problems.push(
    ...setup.conflicts(
      [...targets.values()].flatMap((target) =>
        target.tenants.map((tenant) => ({
          tenant,
          sink: target.sink,
          format: target.documentFormat,
        })),
      ),
    ),
  );
  if (problems.length === 0 && targets.size === 0) problems.push(setup.requiredInFile(file));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const all = [...targets.values()];
  // Said once, with the first target's own warnings: they are the deployment's, not a target's.
  const first = all[0] as SetupTarget;
  first.warnings = [...misspeltWarnings(gathered), ...first.warnings];
  return { module, targets: all };
}
