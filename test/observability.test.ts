// The alert rules and the Grafana dashboard in deploy/ against what the service really exports:
// every metric they use is in a scrape of /metrics (the service run in-process against the
// simulator until every family has samples), with the labels they match and group by; the
// PrometheusRule holds exactly the rules file's groups; each runbook hint is a valid command line;
// and, where promtool is on PATH (Debian's prometheus package; A2L_REQUIRE_PROMTOOL=1 makes it
// required), the rules pass `promtool check rules` and their unit tests, the dashboard's queries
// parse, and the scrape passes `promtool check metrics`.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { collectDefaultMetrics, Registry } from "prom-client";
import { parse, parseAllDocuments, stringify } from "yaml";
import { parseCommandArgs } from "../src/cli/command.ts";
import { commands } from "../src/cli/main.ts";
import { Metrics } from "../src/metrics/prometheus.ts";
import { tempDir } from "./helpers/cli.ts";
import { postgresUrl } from "./helpers/postgres.ts";
import { serviceFor } from "./helpers/service.ts";
import { POSTGRES, SQLITE } from "./helpers/stores.ts";
import { world } from "./helpers/world.ts";

const deploy = (path: string) => new URL(`../deploy/${path}`, import.meta.url);
const RULES = deploy("prometheus/auth0-logs-to-logstash.rules.yml");
const OPERATOR_RULE = deploy("prometheus/prometheusrule.yaml");
const RULE_TESTS = deploy("prometheus/tests.yml");
const DASHBOARD = deploy("grafana/auth0-logs-to-logstash.json");

/** Labels Prometheus adds to every series of a target (scrape job, discovery), never in /metrics. */
const TARGET_LABELS = new Set(["job", "instance", "namespace", "pod", "service"]);
/** Series Prometheus makes itself. */
const SYNTHETIC = new Set(["up"]);
/**
 * Metrics the rules use that the exporter may not export yet, with what stands in meanwhile.
 * Checked like any other once the scrape has them.
 */
interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: { jobLabel?: string; endpoints?: { path?: string }[] };
}

const rulesFile = () => parse(readFileSync(RULES, "utf8")) as { groups: RuleGroup[] };
const rules = () => rulesFile().groups.flatMap((group) => group.rules);
const alerts = () => rules().filter((rule) => rule.alert !== undefined);

interface Target {
  expr: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  schemaVersion: number;
  uid: string;
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
}
const dashboard = () => JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;

/** Every query of the dashboard (panels, rows' panels, variables), Grafana's variables resolved. */
function dashboardQueries(): { where: string; expr: string }[] {
  const d = dashboard();
  const panels = d.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const queries = panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  for (const variable of d.templating.list) {
    if (variable.type !== "query") continue;
    const query = typeof variable.query === "string" ? variable.query : variable.definition;
    const inner = /^label_values\((.*),\s*\w+\)$/.exec(query ?? "")?.[1];
    if (inner !== undefined) queries.push({ where: `variable $${variable.name}`, expr: inner });
  }
  return queries.map(({ where, expr }) => ({ where, expr: resolveVariables(expr) }));
}

/** Grafana's interval variables become a duration, the others (regex matchers) match anything. */
function resolveVariables(expr: string): string {
  return expr.replace(/\$\{?__\w+\}?/g, "5m").replace(/\$\{?\w+\}?/g, ".+");
}

// --- The exposition format, read loosely -------------------------------------------------------

interface Family {
  type: string;
  /** Each label name seen on the family's samples, with the values seen. */
  labels: Map<string, Set<string>>;
  samples: number;
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { type: "untyped", labels: new Map(), samples: 0 };
      families.set(name, found);
    }
    return found;
  };
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) family(type[1] as string).type = type[2] as string;
    if (line.startsWith("#") || line.trim() === "") continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const name = sample[1] as string;
    const base = name.replace(/_(bucket|sum|count)$/, "");
    const owner =
      families.has(name) || !families.has(base) ? family(name) : (families.get(base) as Family);
    owner.samples++;
    for (const [, label, value] of (sample[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      const values = owner.labels.get(label as string) ?? new Set<string>();
      values.add(value as string);
      owner.labels.set(label as string, values);
    }
  }
  return families;
}

// --- PromQL, read loosely ----------------------------------------------------------------------

const IDENTIFIER = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
const CHECKED = /^(auth0_logs_exporter_|process_|nodejs_)/;

/** The text from `open` (an opening parenthesis) to its closing one, exclusive. */
function balanced(expr: string, open: number): string {
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    if (expr[i] === "(") depth++;
    if (expr[i] === ")" && --depth === 0) return expr.slice(open + 1, i);
  }
  throw new Error(`unbalanced parentheses in: ${expr}`);
}

/** Blanks what holds no selector (quoted strings, ranges, label lists), keeping every offset. */
const masked = (expr: string) =>
  expr.replace(
    /"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
    (text) => (text.startsWith('"') ? `"${" ".repeat(text.length - 2)}"` : " ".repeat(text.length)),
  );

interface Selector {
  metric: string;
  matchers: { label: string; op: string; value: string }[];
}

/** The metric selectors of an expression (`name{label op "value", …}` or a bare name) we check. */
function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  const skeleton = masked(expr);
  for (const match of skeleton.matchAll(IDENTIFIER)) {
    const metric = match[0];
    if (!(CHECKED.test(metric) || metric.includes(":") || SYNTHETIC.has(metric))) continue;
    const end = (match.index ?? 0) + metric.length;
    const next = skeleton.slice(end).trimStart();
    // A label name inside braces, or a function: not a selector.
    if (/^(=~|!~|!=|=)/.test(next) || next.startsWith("(")) continue;
    const matchers: Selector["matchers"] = [];
    const braces = expr.slice(end).match(/^\s*\{([^}]*)\}/);
    for (const [, label, op, value] of (braces?.[1] ?? "").matchAll(
      /(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g,
    )) {
      matchers.push({ label: label as string, op: op as string, value: value as string });
    }
    found.push({ metric, matchers });
  }
  return found;
}

/** `by (…)` lists with the expression each one aggregates, and `on (…)`/`ignoring`/`group_*` lists. */
function groupings(expr: string): { kind: string; labels: string[]; inner: string }[] {
  const skeleton = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const found: { kind: string; labels: string[]; inner: string }[] = [];
  for (const match of skeleton.matchAll(
    /\b(by|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
  )) {
    const labels = (match[2] as string)
      .split(",")
      .map((label) => label.trim())
      .filter(Boolean);
    const after = (match.index ?? 0) + match[0].length;
    const open = skeleton.slice(after).search(/\S/);
    const inner =
      match[1] === "by" && skeleton[after + open] === "(" ? balanced(skeleton, after + open) : expr;
    found.push({ kind: match[1] as string, labels, inner });
  }
  assert.doesNotMatch(
    skeleton,
    /\)\s*(by|without)\s*\(/,
    `write by (…) before the argument: ${expr}`,
  );
  return found;
}

// --- What the service exports ------------------------------------------------------------------

/**
 * The service in-process against the simulator: one execution that reads through 429s on both
 * sides and has documents refused by the cluster (dead letters), then one that fails. On
 * PostgreSQL when one answers: there a lease is taken by a supervisor round, and counted; on
 * SQLite `run` takes it at start, uncounted, so auth0_logs_exporter_lease_takeovers_total has no
 * sample and its labels are checked against its declaration instead.
 */
async function scrapeService(t: TestContext) {
  const postgres = await postgresUrl(t);
  const w = await world(t, {
    tenant: { backlog: 200, variedDetails: true },
    search: {},
    env: { ELASTICSEARCH_SETUP: "off", RETRY_MAX_TIME: "3s" },
    store: postgres ? POSTGRES : SQLITE,
  });
  const search = w.search as NonNullable<typeof w.search>;
  const { service, app, metrics } = await serviceFor(t, w);
  await service.start();
  w.tenant.failNext("429");
  search.failNext("429");
  await service.tick("manual");
  search.failNext("503", 1_000);
  w.tenant.addEvents(1);
  await service.tick("manual");
  // The intake's pushes (src/intake/) and a stream's status as a sweep with LOG_STREAM_ID reads it
  // (runner/stream-health.ts), told through the same ports.
  metrics.pushed("default", { delivered: 3, duplicates: 1, filtered: 0, rejected: 0 }, Date.now());
  metrics.logStreamStatus("default", "active");
  const text = await (await app.request("/metrics")).text();
  // `run` also exports Node's process metrics (the helper leaves them out): the same collector.
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const unsampled = new Map<string, string[]>();
  if (!postgres) {
    t.diagnostic(
      "no PostgreSQL: auth0_logs_exporter_lease_takeovers_total checked by its declared labels",
    );
    const declared = metrics.registry.getSingleMetric(
      "auth0_logs_exporter_lease_takeovers_total",
    ) as unknown as {
      labelNames: string[];
    };
    unsampled.set("auth0_logs_exporter_lease_takeovers_total", declared.labelNames);
  }
  return { scrape: `${text}\n${await defaults.metrics()}`, unsampled };
}

// --- promtool ------------------------------------------------------------------------------------

/** Why the promtool checks are skipped (false: they run). A2L_REQUIRE_PROMTOOL=1 (CI) never skips. */
const promtoolMissing = (() => {
  if (process.env.A2L_REQUIRE_PROMTOOL === "1") return false;
  const probe = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  return probe.error || probe.status !== 0
    ? "promtool is not on PATH: install Debian's prometheus package (apt-get install prometheus) to run it"
    : false;
})();

function promtool(args: string[], input?: string) {
  const result = spawnSync("promtool", args, { encoding: "utf8", input, timeout: 60_000 });
  const error = result.error ? `promtool: ${result.error.message}\n` : "";
  return { code: result.status, output: `${error}${result.stdout ?? ""}${result.stderr ?? ""}` };
}

// --- The tests -----------------------------------------------------------------------------------

describe("alerts and dashboard against /metrics", () => {
  it("every metric the rules and the dashboard use is exported, with the labels they use", async (t) => {
    const { scrape, unsampled } = await scrapeService(t);
    const families = parseExposition(scrape);
    const records = new Map(
      rules().flatMap((rule) => (rule.record ? [[rule.record, rule.expr] as const] : [])),
    );

    /** The raw metrics behind a name: itself, or those of the recording rule that makes it. */
    const raw = (name: string, seen = new Set<string>()): string[] => {
      const expr = records.get(name);
      if (expr === undefined || seen.has(name)) return [name];
      seen.add(name);
      return selectors(expr).flatMap((s) => raw(s.metric, seen));
    };
    const familyOf = (name: string): Family | undefined =>
      families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ""));
    const labelsOf = (name: string): Set<string> | null => {
      if (SYNTHETIC.has(name)) return new Set(TARGET_LABELS);
      const family = familyOf(name);
      assert.ok(family, `${name} is not in /metrics`);
      const declared = family.samples === 0 ? unsampled.get(name) : undefined;
      assert.ok(family.samples > 0 || declared, `${name} is in /metrics without any sample`);
      const labels = new Set([...(declared ?? family.labels.keys()), ...TARGET_LABELS]);
      if (name.endsWith("_bucket")) labels.add("le");
      else labels.delete("le");
      return labels;
    };

    const uses = [
      ...rules().flatMap((rule) => [
        { where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr },
        // Annotations may query too (the retention shown in the description).
        ...Object.values(rule.annotations ?? {}).flatMap((text) =>
          [...text.matchAll(/printf "([^"]*)"/g)].map((m) => ({
            where: `rule ${rule.alert}'s annotations`,
            expr: (m[1] as string).replace(/%q/g, '""'),
          })),
        ),
      ]),
      ...dashboardQueries(),
    ];
    const used = new Set<string>();
    for (const { where, expr } of uses) {
      const found = selectors(expr);
      for (const { metric, matchers } of found) {
        for (const name of raw(metric)) {
          used.add(name);
          labelsOf(name);
        }
        if (records.has(metric) || SYNTHETIC.has(metric)) continue;
        const labels = labelsOf(metric);
        if (labels === null) continue;
        for (const { label, op, value } of matchers) {
          assert.ok(labels.has(label), `${where}: ${metric} has no label ${label}`);
          if (TARGET_LABELS.has(label) || op === "=~" || op === "!~") continue;
          const seen = familyOf(metric)?.labels.get(label) ?? new Set<string>();
          assert.ok(
            seen.has(value),
            `${where}: ${metric}{${label}${op}"${value}"}: ${label} was only ever ${[...seen].join(", ")}`,
          );
        }
      }
      for (const call of expr.matchAll(/histogram_quantile\s*\(/g)) {
        const argument = balanced(expr, (call.index ?? 0) + call[0].length - 1);
        assert.match(argument, /_bucket\b/, `${where}: histogram_quantile of no _bucket`);
        assert.match(argument, /by \([^)]*\ble\b/, `${where}: histogram_quantile needs by (le)`);
      }
      for (const { kind, labels, inner } of groupings(expr)) {
        const metrics = selectors(inner).flatMap((s) => raw(s.metric));
        assert.ok(metrics.length > 0, `${where}: ${kind} (${labels}) over no metric`);
        for (const metric of metrics) {
          const has = labelsOf(metric);
          if (has === null) continue;
          for (const label of labels) {
            // by: every metric aggregated has it; on/ignoring: the metrics of the expression do.
            assert.ok(has.has(label), `${where}: ${kind} (${label}) but ${metric} has no ${label}`);
          }
        }
      }
    }
    // The scrape covers what the rules and the dashboard are about.
    for (const name of [
      "auth0_logs_exporter_events_sent_total",
      "auth0_logs_exporter_checkpoint_lag_seconds",
      "auth0_logs_exporter_dead_letters",
    ])
      assert.ok(used.has(name), `nothing uses ${name}`);

    await t.test(
      "promtool check metrics passes the scrape",
      { skip: promtoolMissing },
      async (t) => {
        const { code, output } = promtool(["check", "metrics"], scrape);
        const problems = output.split("\n").filter((line) => line.trim() !== "");
        // prom-client names three of its Node.js gauges *_total: its naming, not ours; told only.
        const library = problems.filter((line) => /^nodejs_active_\w+_total /.test(line));
        assert.deepEqual(
          problems.filter((line) => !library.includes(line)),
          [],
        );
        assert.ok(code === 0 || (code === 3 && library.length > 0), `exit ${code}: ${output}`);
        for (const line of library) t.diagnostic(`prom-client's: ${line}`);
      },
    );
  });
});

describe("the rules", () => {
  it("the PrometheusRule wraps exactly the rules file's groups", () => {
    const operator = parse(readFileSync(OPERATOR_RULE, "utf8")) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: { groups: RuleGroup[] };
    };
    assert.equal(operator.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(operator.kind, "PrometheusRule");
    assert.deepEqual(
      operator.spec.groups,
      rulesFile().groups,
      "prometheusrule.yaml differs from the rules file: regenerate it (deploy/prometheus/README.md)",
    );
  });

  it("every alert has a severity, a summary, a description and a runbook of valid commands, and is documented", () => {
    const readme = readFileSync(deploy("prometheus/README.md"), "utf8");
    const names = new Set(commands.map((command) => command.name));
    for (const rule of alerts()) {
      const name = rule.alert as string;
      assert.match(rule.labels?.severity ?? "", /^(critical|warning)$/, name);
      assert.ok(rule.for, `${name} has no for:`);
      for (const key of ["summary", "description", "runbook"]) {
        assert.ok(rule.annotations?.[key], `${name} has no ${key}`);
      }
      const runbook = rule.annotations?.runbook as string;
      assert.match(runbook, new RegExp(`README\\.md#${name.toLowerCase()}\\b`), name);
      assert.match(readme, new RegExp(`^### ${name}$`, "m"), `README.md does not describe ${name}`);
      for (const [, code] of runbook.matchAll(/`([^`]+)`/g)) {
        const line = (code as string)
          .replace(/\{\{ \$labels\.tenant \}\}/g, "acme")
          .replace(/^auth0-logs-to-logstash /, "");
        const [first, ...argv] = line.split(/\s+/);
        if (first === "curl") continue;
        const command = commands.find((c) => c.name === first);
        assert.ok(command, `${name}: \`${code}\` is not a command (${[...names].join(", ")})`);
        assert.doesNotThrow(() => parseCommandArgs(command, argv), `${name}: \`${code}\``);
      }
      // An alert per tenant names it (records keep the tenant label, as `by (…, tenant)` does).
      if (/by \([^)]*\btenant\b|\btenant:auth0_logs_exporter_/.test(rule.expr)) {
        assert.match(rule.annotations?.summary ?? "", /\$labels\.tenant/, name);
      }
    }
  });

  it("watch the scrape job that the Kubernetes manifests' ServiceMonitor makes", (t) => {
    const folder = deploy("kubernetes/replicas/");
    const documents = ["service.yaml", "servicemonitor.yaml"].flatMap((file) =>
      existsSync(new URL(file, folder))
        ? parseAllDocuments(readFileSync(new URL(file, folder), "utf8")).map(
            (document) => document.toJS() as Manifest,
          )
        : [],
    );
    const service = documents.find((d) => d.kind === "Service");
    const monitor = documents.find((d) => d.kind === "ServiceMonitor");
    if (!service || !monitor) {
      t.skip("no Service and ServiceMonitor in deploy/kubernetes/replicas/");
      return;
    }
    // Without spec.jobLabel, the Operator names the job after the Service.
    assert.equal(monitor.spec.jobLabel, undefined);
    assert.ok(monitor.spec.endpoints?.some((endpoint) => endpoint.path === "/metrics"));
    const jobs = new Set(
      rules().flatMap((rule) => [...rule.expr.matchAll(/\bjob="([^"]*)"/g)].map((m) => m[1])),
    );
    assert.deepEqual([...jobs], [service.metadata.name]);
  });

  it("promtool check rules accepts them", { skip: promtoolMissing }, () => {
    const { code, output } = promtool(["check", "rules", fileURLToPath(RULES)]);
    assert.equal(code, 0, output);
  });

  it("their unit tests pass (promtool test rules deploy/prometheus/tests.yml)", {
    skip: promtoolMissing,
  }, () => {
    const { code, output } = promtool(["test", "rules", fileURLToPath(RULE_TESTS)]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });
});

describe("the dashboard", () => {
  it("is a recent schema with a data source and a tenant variable, every panel querying", () => {
    const d = dashboard();
    assert.ok(d.schemaVersion >= 39, `schemaVersion ${d.schemaVersion}`);
    assert.equal(d.uid, "auth0-logs-to-logstash");
    const variables = new Map(d.templating.list.map((v) => [v.name, v]));
    assert.equal(variables.get("datasource")?.type, "datasource");
    assert.match(
      String(variables.get("tenant")?.query),
      /^label_values\(auth0_logs_exporter_\w+.*, tenant\)$/,
    );
    const titles = d.panels.map((panel) => panel.title);
    for (const wanted of [
      "Events exported per tenant",
      "Checkpoint lag per tenant",
      "Executions by outcome",
      "Retries per side",
      "429 answers per side",
      "Dead letters waiting",
      "Tenants held per replica",
      "Execution duration (p50, p90, p99)",
    ]) {
      assert.ok(titles.includes(wanted), `no panel "${wanted}"`);
    }
    for (const panel of d.panels) {
      if (panel.type !== "row") assert.ok(panel.targets?.length, `${panel.title} has no query`);
    }
  });

  it("promtool parses every query", { skip: promtoolMissing }, (t) => {
    // Each query as a recording rule: check rules parses it.
    const dir = tempDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "dashboard-queries.yml");
    const queries = dashboardQueries().map((q, i) => ({ record: `dashboard:query_${i}`, ...q }));
    writeFileSync(
      file,
      stringify({
        groups: [
          { name: "dashboard", rules: queries.map(({ record, expr }) => ({ record, expr })) },
        ],
      }),
    );
    const { code, output } = promtool(["check", "rules", file]);
    assert.equal(code, 0, `${output}\n${queries.map((q) => `${q.where}: ${q.expr}`).join("\n")}`);
  });
});

describe("rate-limit metrics (issue 20)", () => {
  it("show the bucket as last seen, the share in force, and Auth0's limit events by type", async () => {
    const metrics = new Metrics({ defaults: false });
    metrics.ended("acme", {
      outcome: "success",
      durationMs: 1000,
      lagMs: 0,
      sink: "logstash",
      stats: {
        retries: { source: 0, sink: 0 },
        rateLimited: { source: 0, sink: 0 },
        limitEvents: { api_limit: 2, api_limit_warning: 3 },
      },
      bucket: { limit: 50, remaining: 31, refillPerSecond: 16 },
      share: 0.5,
    });
    const text = await metrics.registry.metrics();
    assert.match(text, /^auth0_logs_exporter_rate_limit_remaining\{tenant="acme"\} 31$/m);
    assert.match(text, /^auth0_logs_exporter_rate_limit_limit\{tenant="acme"\} 50$/m);
    assert.match(text, /^auth0_logs_exporter_rate_limit_share\{tenant="acme"\} 0.5$/m);
    assert.match(
      text,
      /^auth0_logs_exporter_auth0_limit_events_total\{tenant="acme",type="api_limit"\} 2$/m,
    );
    assert.match(
      text,
      /^auth0_logs_exporter_auth0_limit_events_total\{tenant="acme",type="api_limit_warning"\} 3$/m,
    );
  });
});
