// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is what these tests are about
// Many tenants from one YAML file: each tenant's settings from its entry, the file's top level, the
// environment and the defaults, in that order; every problem of every tenant at once, named by its
// path and line, and never quoting a secret.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { describeDeployment, loadConfig, loadDeployment } from "../src/config/load.ts";
import { jobSettings, processSettings, settings } from "../src/config/settings.ts";
import { expandVariables, MAX_TENANTS, readTenantsFile } from "../src/config/tenants-file.ts";
import { ConfigError } from "../src/errors.ts";
import { mask } from "../src/util/secrets.ts";
import { tempDir } from "./helpers/cli.ts";

const EXAMPLE = `DATABASE_URL: postgres://exporter@db:5432/auth0_logs
SCHEDULE: 1m
LOGSTASH_URL: https://logstash.internal:8080
tenants:
  prod-eu:
    AUTH0_DOMAIN: acme-prod.eu.auth0.com
    AUTH0_CLIENT_ID: abc
    AUTH0_CLIENT_SECRET: \${PROD_EU_SECRET}
    LOGSTASH_INDEX: auth0-prod
  staging:
    AUTH0_DOMAIN: acme-staging.eu.auth0.com
    AUTH0_CLIENT_ID: def
    AUTH0_CLIENT_SECRET: \${STAGING_SECRET}
    LOGSTASH_INDEX: auth0-staging
    LOG_LEVEL: warning
`;

const SECRETS = { PROD_EU_SECRET: "prod-eu-secret-1111", STAGING_SECRET: "staging-secret-2222" };

/** A folder holding the tenants file (and .env, when given). */
function folder(yaml: string, dotEnv?: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, "tenants.yaml"), yaml);
  if (dotEnv !== undefined) writeFileSync(join(dir, ".env"), dotEnv);
  return dir;
}

function load(yaml: string, env: Record<string, string> = {}) {
  return loadDeployment({ ...SECRETS, ...env }, { cwd: folder(yaml), file: "tenants.yaml" });
}

function problemsOf(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    load(yaml, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

/** A minimal valid tenant, indented under tenants:. */
const tenant = (id: string, extra = "") =>
  `  ${id}:\n    AUTH0_DOMAIN: ${id}.eu.auth0.com\n    AUTH0_CLIENT_ID: id-${id}\n    AUTH0_CLIENT_SECRET: s3cret-${id}\n    LOGSTASH_INDEX: idx-${id}\n${extra}`;
const SINK = "LOGSTASH_URL: https://logstash.example.com:8080\n";

describe("settings table", () => {
  it("gives every setting a scope, the process ones being the service's own", () => {
    for (const setting of settings) assert.ok(["process", "job"].includes(setting.scope));
    assert.deepEqual(processSettings.map((s) => s.name).sort(), [
      "ALLOWED_HOSTS",
      "CONFIG_FILE",
      "DASHBOARD_PASSWORD",
      "DASHBOARD_SESSION_TTL",
      "DASHBOARD_USER",
      "DATABASE_TIMEOUT",
      "DATABASE_URL",
      "EXPORTER_LOG_LEVEL",
      "HTTP_HOST",
      "HTTP_PORT",
      "INTAKE_HOST",
      "INTAKE_PORT",
      "INTAKE_TLS_CERT",
      "INTAKE_TLS_KEY",
      "READY_MAX_FAILURES",
      "RUNS_RETENTION",
      "TRUSTED_PROXIES",
    ]);
    assert.equal(processSettings.length + jobSettings.length, settings.length);
    for (const name of [
      "AUTH0_DOMAIN",
      "LOGSTASH_URL",
      "ELASTICSEARCH_INDEX",
      "SLACK_SEND_SUCCESS",
    ])
      assert.ok(
        jobSettings.some((s) => s.name === name),
        name,
      );
  });
});

describe("the tenants file", () => {
  it("loads the issue's example into two jobs: tenant > top level > environment > default", () => {
    const env = {
      SCHEDULE: "5m", // the file's top level wins
      LOG_LEVEL: "error", // staging's own wins; prod-eu takes it
      BATCH_SIZE: "50", // no level of the file sets it
      DATABASE_URL: "sqlite:./elsewhere.sqlite", // a process setting: the top level wins
      HTTP_PORT: "8081",
    };
    const deployment = load(EXAMPLE, env);
    assert.deepEqual(
      deployment.jobs.map((job) => job.id),
      ["prod-eu", "staging"],
    );
    const [prod, staging] = deployment.jobs;
    assert.ok(prod && staging);
    assert.deepEqual(prod.auth0, {
      origin: "https://acme-prod.eu.auth0.com",
      clientId: "abc",
      clientSecret: "prod-eu-secret-1111",
    });
    assert.equal(staging.auth0.clientSecret, "staging-secret-2222");
    assert.deepEqual(
      [
        prod.sink.kind === "logstash" && prod.sink.index,
        staging.sink.kind === "logstash" && staging.sink.index,
      ],
      ["auth0-prod", "auth0-staging"],
    );
    assert.equal(prod.sink.kind === "logstash" && prod.sink.url, "https://logstash.internal:8080/");
    assert.deepEqual([prod.logLevel, staging.logLevel], [3, 2]);
    assert.deepEqual([prod.schedule, staging.schedule], ["1m", "1m"]);
    assert.deepEqual([prod.batchSize, staging.batchSize], [50, 50]);
    assert.equal(prod.initialLookbackMs, 24 * 3_600_000, "the default");
    assert.equal(deployment.process.databaseUrl, "postgres://exporter@db:5432/auth0_logs");
    assert.equal(deployment.process.http.port, 8081);
    assert.equal(deployment.process.configFile, "tenants.yaml");
    assert.ok(deployment.file?.endsWith("/tenants.yaml"));
    assert.deepEqual(deployment.process.warnings, []);
    assert.equal(
      describeDeployment(deployment),
      [
        "prod-eu  acme-prod.eu.auth0.com → Logstash https://logstash.internal:8080/ index auth0-prod",
        "staging  acme-staging.eu.auth0.com → Logstash https://logstash.internal:8080/ index auth0-staging",
      ].join("\n"),
    );
    assert.equal(mask("x staging-secret-2222 x"), "x *** x", "each tenant's secret is registered");
  });

  it("lets a tenant override the top level, and an empty value stop inheritance", () => {
    const yaml = `${SINK}SCHEDULE: 1m
LOG_TYPES: s,f
SLACK_INCOMING_WEBHOOK: https://hooks.slack.com/services/T/B/X
tenants:
${tenant("a", "    SCHEDULE: 30s\n    LOG_TYPES: ~\n")}${tenant("b", '    SLACK_INCOMING_WEBHOOK: ""\n')}`;
    const [a, b] = load(yaml).jobs;
    assert.ok(a && b);
    assert.deepEqual([a.schedule, b.schedule], ["30s", "1m"]);
    assert.deepEqual([a.logTypes, b.logTypes], [undefined, ["s", "f"]]);
    assert.deepEqual(
      [a.slack.webhookUrl, b.slack.webhookUrl],
      ["https://hooks.slack.com/services/T/B/X", undefined],
    );
  });

  it("is found through CONFIG_FILE in the environment or .env, relative to the folder", () => {
    const dir = folder(EXAMPLE, "CONFIG_FILE=tenants.yaml\n");
    assert.equal(loadDeployment(SECRETS, { cwd: dir }).jobs.length, 2);
    mkdirSync(join(dir, "etc"));
    writeFileSync(join(dir, "etc", "other.yaml"), `${SINK}tenants:\n${tenant("only")}`);
    const deployment = loadDeployment({ CONFIG_FILE: "etc/other.yaml" }, { cwd: dir });
    assert.deepEqual(
      deployment.jobs.map((job) => job.id),
      ["only"],
    );
    assert.equal(deployment.file, join(dir, "etc", "other.yaml"));
  });

  it("accepts YAML numbers, booleans and lists", () => {
    const yaml = `ELASTICSEARCH_URL:
  - https://es1.example.com:9200
  - https://es2.example.com:9200
TRUSTED_PROXIES: [10.0.0.0/8, loopback]
HTTP_PORT: 8080
tenants:
  a:
    AUTH0_DOMAIN: a.eu.auth0.com
    AUTH0_CLIENT_ID: 12345
    AUTH0_CLIENT_SECRET: s3cret-a
    BATCH_SIZE: 20
    TAIL: true
    SLACK_SEND_SUCCESS: True
    SLACK_DAILY_REPORT_HOUR: 08
    LOG_LEVEL: 3
    LOG_TYPES: [s, f, fp]
    START_FROM: 90020261124101500123000000000000000000000000000000000042
    ELASTICSEARCH_GZIP: false
`;
    const deployment = load(yaml);
    const [a] = deployment.jobs;
    assert.ok(a);
    assert.equal(a.auth0.clientId, "12345");
    assert.equal(a.batchSize, 20);
    assert.equal(a.tail.enabled, true);
    assert.equal(a.slack.sendSuccess, true);
    assert.equal(a.slack.dailyReportHour, 8);
    assert.equal(a.logLevel, 3);
    assert.deepEqual(a.logTypes, ["s", "f", "fp"]);
    assert.equal(a.startFrom, "90020261124101500123000000000000000000000000000000000042");
    assert.ok(a.sink.kind === "elasticsearch");
    assert.deepEqual(a.sink.urls, ["https://es1.example.com:9200", "https://es2.example.com:9200"]);
    assert.equal(a.sink.gzip, false);
    assert.equal(deployment.process.http.port, 8080);
    assert.deepEqual(deployment.process.http.trustedProxies, ["10.0.0.0/8", "loopback"]);
  });

  it("expands ${VAR}, ${VAR:-default}, ${VAR:?message} and $${ after parsing", () => {
    const yaml = `${SINK}LOGSTASH_INDEX: \${INDEX:-fallback}
tenants:
  a:
    AUTH0_DOMAIN: \${DOMAIN}
    AUTH0_CLIENT_ID: id-$\${NOT_A_VAR}-\${EMPTY:-dflt}
    AUTH0_CLIENT_SECRET: \${SECRET:?set SECRET to the client secret}
  b:
    AUTH0_DOMAIN: \${DOMAIN}
    AUTH0_CLIENT_ID: b
    AUTH0_CLIENT_SECRET: price $5 \${SECRET}
    LOGSTASH_INDEX: \${INJECT}
`;
    const env = {
      DOMAIN: "acme.eu.auth0.com",
      EMPTY: "",
      SECRET: "from-env-secret",
      INJECT: "a\nb: c",
    };
    const [a, b] = load(yaml, env).jobs;
    assert.ok(a && b);
    assert.equal(a.auth0.origin, "https://acme.eu.auth0.com");
    assert.equal(a.auth0.clientId, "id-${NOT_A_VAR}-dflt");
    assert.equal(a.auth0.clientSecret, "from-env-secret");
    assert.equal(a.sink.kind === "logstash" && a.sink.index, "fallback");
    assert.equal(b.auth0.clientSecret, "price $5 from-env-secret");
    assert.equal(b.sink.kind === "logstash" && b.sink.index, "a\nb: c", "stays one string");

    const { SECRET: _secret, ...unset } = env;
    assert.deepEqual(
      problemsOf(yaml, unset).filter((p) => p.includes("SECRET")),
      [
        "tenants.a.AUTH0_CLIENT_SECRET (tenants.yaml:7): SECRET is not set: set SECRET to the client secret",
        "tenants.b.AUTH0_CLIENT_SECRET (tenants.yaml:11): ${SECRET} is not set in the environment (or give a default: ${SECRET:-…})",
      ],
    );
    // .env serves ${VAR} too, the environment winning.
    const dir = folder(yaml, "SECRET=dotenv-secret\nDOMAIN=ignored.example.com\n");
    const [fromDotEnv] = loadDeployment(unset, { cwd: dir, file: "tenants.yaml" }).jobs;
    assert.equal(fromDotEnv?.auth0.clientSecret, "dotenv-secret");
    assert.equal(fromDotEnv?.auth0.origin, "https://acme.eu.auth0.com");
  });

  it("expands variables exactly", () => {
    const lookup = (name: string) => ({ A: "1", B: "" })[name];
    const cases: [string, string][] = [
      ["${A}", "1"],
      ["x${A}y${A}", "x1y1"],
      ["${B:-d}", "d"],
      ["${C:-}", ""],
      ["$${A}", "${A}"],
      ["$A $ $$ ${A:-x}", "$A $ $$ 1"],
      ["${A:?no}", "1"],
    ];
    for (const [text, value] of cases) {
      assert.deepEqual(expandVariables(text, lookup).value, value, text);
      assert.deepEqual(expandVariables(text, lookup).errors, [], text);
    }
    assert.deepEqual(expandVariables("${B:?give B}", lookup).errors, ["B is not set: give B"]);
    assert.equal(expandVariables("plain", lookup).expanded, false);
    for (const bad of ["${", "${A", "${1X}", "${A:+x}", "${}"]) {
      assert.match(expandVariables(bad, lookup).errors[0] ?? "", /malformed/, bad);
    }
  });

  it("reports every problem of every tenant at once, with its path and line", () => {
    const yaml = `HTTP_PORT: 99999
BATCH_SIZE: abc
BATCHSIZE: 3
LOGSTASH_URL: https://logstash.internal:8080
prod: {AUTH0_DOMAIN: x}
tenants:
  Prod_EU:
    AUTH0_DOMAIN: acme.eu.auth0.com
  staging:
    AUTH0_DOMAIN: acme-staging.eu.auth0.com
    AUTH0_CLIENT_ID: def
    BATCH_SIZE: 0
    HTTP_PORT: 8080
    LOGSTASH_INDEX: a
    LOGSTASH_INDEX: b
    SCHEDULE: \${SCHED:?set SCHED to how often}
    AUTH0_CLIENT_SECRET: \${UNSET_SECRET}
    auth0_domian: y
    LOG_TYPES: [s, [f]]
  qa:
    AUTH0_DOMAIN: qa.eu.auth0.com
   AUTH0_CLIENT_ID: ghi
  staging:
    AUTH0_DOMAIN: again.eu.auth0.com
`;
    assert.deepEqual(problemsOf(yaml), [
      "BATCHSIZE (tenants.yaml:3): not a setting (did you mean BATCH_SIZE?)",
      "prod (tenants.yaml:5): not a setting (tenants go under tenants:)",
      "tenants.Prod_EU (tenants.yaml:7): not a valid tenant id: lowercase letters, digits and -, at most 63, starting with a letter or digit (example: prod-eu)",
      "tenants.staging.HTTP_PORT (tenants.yaml:13): HTTP_PORT is a process setting: set it at the top level",
      "tenants.staging.LOGSTASH_INDEX (tenants.yaml:15): LOGSTASH_INDEX is set twice in this map (first at line 14)",
      "tenants.staging.SCHEDULE (tenants.yaml:16): SCHED is not set: set SCHED to how often",
      "tenants.staging.AUTH0_CLIENT_SECRET (tenants.yaml:17): ${UNSET_SECRET} is not set in the environment (or give a default: ${UNSET_SECRET:-…})",
      "tenants.staging.auth0_domian (tenants.yaml:18): not a setting (did you mean AUTH0_DOMAIN?)",
      "tenants.staging.LOG_TYPES (tenants.yaml:19): must be a list of single values",
      "tenants.yaml:22:1: not valid YAML: All mapping items must start at the same column",
      "tenants.AUTH0_CLIENT_ID (tenants.yaml:22): a setting where tenant ids belong: indent it under its tenant",
      "tenants.staging (tenants.yaml:23): tenant staging is defined twice (first at line 9)",
      'HTTP_PORT (tenants.yaml:1): must be a whole number from 0 to 65535, got "99999" (example: HTTP_PORT=8080)',
      'tenants.staging.BATCH_SIZE (tenants.yaml:12): must be a whole number from 1 to 100, got "0" (example: BATCH_SIZE=100)',
      "tenants.qa.AUTH0_CLIENT_ID: required but not set (example: AUTH0_CLIENT_ID=Xo2v…)",
      "tenants.qa.AUTH0_CLIENT_SECRET: required but not set (example: AUTH0_CLIENT_SECRET=(the application's client secret))",
      'BATCH_SIZE (tenants.yaml:2): must be a whole number from 1 to 100, got "abc" (example: BATCH_SIZE=100)',
      "tenants.qa.LOGSTASH_INDEX: required with LOGSTASH_URL (example: LOGSTASH_INDEX=auth0-logs)",
    ]);
  });

  it("keeps today's form for problems of values from the environment", () => {
    const problems = problemsOf(`${SINK}tenants:\n${tenant("a")}${tenant("b")}`, {
      BATCH_SIZE: "0",
    });
    assert.deepEqual(problems, [
      'BATCH_SIZE: must be a whole number from 1 to 100, got "0" (example: BATCH_SIZE=100)',
    ]);
  });

  it("refuses a file without tenants, with an empty map, unreadable, too large or with too many", () => {
    assert.deepEqual(problemsOf(`${SINK}`), [
      "CONFIG_FILE (tenants.yaml): needs a tenants: map of tenant ids to their settings, with at least one tenant",
    ]);
    assert.deepEqual(problemsOf(`${SINK}tenants: {}\n`), [
      "tenants (tenants.yaml:2): needs a tenants: map of tenant ids to their settings, with at least one tenant",
    ]);
    assert.deepEqual(problemsOf("- a\n- b\n"), [
      "CONFIG_FILE (tenants.yaml): must be a map of settings, with a tenants: map (example: CONFIG_FILE=/etc/auth0-logs-to-logstash/tenants.yaml)",
    ]);
    const dir = tempDir();
    const failing = (file: string) => {
      try {
        loadDeployment({}, { cwd: dir, file });
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems;
      }
      assert.fail(file);
    };
    assert.deepEqual(failing("missing.yaml"), [
      "CONFIG_FILE: cannot read missing.yaml: no such file (example: CONFIG_FILE=/etc/auth0-logs-to-logstash/tenants.yaml)",
    ]);
    assert.match(failing(".")[0] ?? "", /^CONFIG_FILE: \. is not a file/);
    writeFileSync(join(dir, "big.yaml"), `# ${"x".repeat(1024 * 1024)}\n`);
    assert.deepEqual(failing("big.yaml"), [
      "CONFIG_FILE: big.yaml is larger than 1 MiB, the most read",
    ]);
    const many = Array.from({ length: MAX_TENANTS + 1 }, (_, i) => `  t${i}: {}\n`).join("");
    assert.deepEqual(problemsOf(`tenants:\n${many}`), [
      `tenants (tenants.yaml:1): ${MAX_TENANTS + 1} tenants; at most ${MAX_TENANTS}`,
    ]);
  });

  it("never shows a secret, a URL's credentials or a value from ${VAR} in any message", () => {
    const secrets = [
      "literal-client-secret-aa11",
      "url-password-bb22",
      "logstash-password-cc33",
      "slack-secret-dd44",
      "db-password-ee55",
      "from-var-ff66",
      "log-type-gg77",
      "unclosed-secret-hh88",
      "es-key-ii99",
      "token-jj00",
    ];
    const yaml = `DATABASE_URL: mysql://user:db-password-ee55@db/x
tenants:
  a:
    AUTH0_DOMAIN: http://a.example.com
    AUTH0_CLIENT_ID: a
    AUTH0_CLIENT_SECRET: literal-client-secret-aa11
    LOGSTASH_URL: https://user:url-password-bb22@logstash.example.com
    LOGSTASH_USER: other
    LOGSTASH_PASSWORD: logstash-password-cc33
    LOGSTASH_INDEX: a
    SLACK_INCOMING_WEBHOOK: slack-secret-dd44
    BATCH_SIZE: \${BATCH}
    LOG_TYPES: \${TYPES}
  b:
    AUTH0_DOMAIN: b.example.com
    AUTH0_CLIENT_ID: b
    AUTH0_CLIENT_SECRET: x
    ELASTICSEARCH_URL: http://es.example.com:9200
    ELASTICSEARCH_API_KEY: es-key-ii99
    LOGSTASH_TOKEN: token-jj00
  c:
    AUTH0_DOMAIN: c.example.com
    AUTH0_CLIENT_ID: c
    LOGSTASH_URL: http://logstash.example.com
    LOGSTASH_INDEX: c
    LOGSTASH_TOKEN: token-jj00
    AUTH0_CLIENT_SECRET: "unclosed-secret-hh88
`;
    const problems = problemsOf(yaml, { BATCH: "from-var-ff66", TYPES: "s,log-type-gg77" });
    assert.ok(problems.length >= 8, problems.join("\n"));
    for (const secret of secrets) {
      assert.ok(!problems.join("\n").includes(secret), `${secret} in:\n${problems.join("\n")}`);
    }
    assert.ok(problems.some((p) => p.startsWith("tenants.a.BATCH_SIZE (tenants.yaml:12): ")));
    assert.ok(problems.some((p) => p.startsWith("tenants.a.LOG_TYPES (tenants.yaml:13): ")));

    // And in what a valid deployment says: warnings and the description.
    const shared = `LOGSTASH_URL: https://user:url-password-bb22@logstash.example.com/in
LOGSTASH_TOKEN: token-jj00
LOGSTASH_INDEX: same-index
AUTH0_DOMAIN: same.eu.auth0.com
AUTH0_CLIENT_ID: same-client
AUTH0_CLIENT_SECRET: \${SECRET}
tenants:
  x: {}
  y:
`;
    const deployment = load(shared, { SECRET: "from-var-ff66" });
    const said = [...deployment.process.warnings, describeDeployment(deployment)].join("\n");
    assert.equal(deployment.process.warnings.length, 2, said);
    for (const secret of secrets) assert.ok(!said.includes(secret), `${secret} in:\n${said}`);
  });

  it("warns of tenants reading the same Auth0 application or writing to the same place", () => {
    const yaml = `LOGSTASH_URL: https://logstash.example.com:8080
LOGSTASH_INDEX: shared
AUTH0_CLIENT_ID: same
AUTH0_CLIENT_SECRET: s3cret
tenants:
  a:
    AUTH0_DOMAIN: acme.eu.auth0.com
  b:
    AUTH0_DOMAIN: acme.eu.auth0.com
  c:
    AUTH0_DOMAIN: other.eu.auth0.com
    LOGSTASH_INDEX: own
`;
    assert.deepEqual(load(yaml).process.warnings, [
      "tenants a, b read the same Auth0 tenant with the same AUTH0_CLIENT_ID (acme.eu.auth0.com): each exports the same logs, sent once per tenant",
      "tenants a, b write to the same place (Logstash https://logstash.example.com:8080/ index shared): their logs are mixed there; give each its own LOGSTASH_INDEX",
    ]);
  });

  it("accepts the alias SLACK_INCOMING_WEBHOOK_URL, and refuses CONFIG_FILE in the file", () => {
    const yaml = `${SINK}tenants:\n${tenant("a", "    SLACK_INCOMING_WEBHOOK_URL: https://hooks.slack.com/services/A\n")}`;
    assert.equal(load(yaml).jobs[0]?.slack.webhookUrl, "https://hooks.slack.com/services/A");
    assert.deepEqual(problemsOf(`CONFIG_FILE: x.yaml\n${SINK}tenants:\n${tenant("a")}`), [
      "CONFIG_FILE (tenants.yaml:1): names the tenants file itself: set it in the environment",
    ]);
  });

  it("without a file, is exactly loadConfig as one job, default", () => {
    const env = {
      AUTH0_DOMAIN: "acme.eu.auth0.com",
      AUTH0_CLIENT_ID: "client-id",
      AUTH0_CLIENT_SECRET: "s3cret-client-value",
      LOGSTASH_URL: "https://logstash.example.com:8080",
      LOGSTASH_INDEX: "auth0",
      HTTP_PORT: "8082",
    };
    const dir = tempDir();
    const deployment = loadDeployment(env, { cwd: dir });
    const config = loadConfig(env, { cwd: dir });
    // The job is the tenant's own settings; the process's are the deployment's (below).
    const { databaseUrl, databaseTimeoutMs, exporterLogLevel, http, intake, dashboard, ...own } =
      config;
    const { readyMaxFailures, runsRetentionMs, ...job } = own;
    assert.deepEqual(deployment.jobs, [{ id: "default", ...job }]);
    assert.equal(deployment.file, undefined);
    assert.deepEqual(deployment.process, {
      databaseUrl: config.databaseUrl,
      databaseTimeoutMs: config.databaseTimeoutMs,
      exporterLogLevel: config.exporterLogLevel,
      http: config.http,
      intake: config.intake,
      dashboard: config.dashboard,
      readyMaxFailures: config.readyMaxFailures,
      runsRetentionMs: config.runsRetentionMs,
      configFile: undefined,
      warnings: [],
    });
    const { AUTH0_DOMAIN: _domain, ...incomplete } = env;
    assert.throws(
      () => loadDeployment(incomplete, { cwd: dir }),
      (error) =>
        error instanceof ConfigError && error.problems[0]?.startsWith("AUTH0_DOMAIN: ") === true,
    );
  });
});

describe("YAML anchors and aliases in the tenants file", () => {
  const read = (yaml: string, lookup: (name: string) => string | undefined = () => undefined) =>
    readTenantsFile("tenants.yaml", { cwd: folder(yaml), lookup });

  it("an alias stands for the last node anchored so before it", () => {
    const file = read(
      `LOG_TYPES: &types [s, f]\nSCHEDULE: &when 5m\ntenants:\n${tenant("a", "    LOG_TYPES: *types\n    SCHEDULE: &when 1m\n")}${tenant("b", "    SCHEDULE: *when\n")}`,
    );
    assert.deepEqual(file.problems, []);
    const [a, b] = file.tenants;
    assert.equal(a?.values.get("LOG_TYPES")?.value, "s,f");
    assert.equal(b?.values.get("SCHEDULE")?.value, "1m");
  });

  it("a billion laughs is refused: aliases are never expanded into a tree", () => {
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (const [i, name] of [..."bcdefghi"].entries()) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`);
    }
    const file = read(`${lines.join("\n")}\nLOG_TYPES: *i\ntenants:\n${tenant("x")}  y: *i\n`);
    assert.ok(file.problems.includes("a (tenants.yaml:1): not a setting"), String(file.problems));
    assert.ok(
      file.problems.includes("LOG_TYPES (tenants.yaml:10): must be a list of single values"),
    );
    assert.ok(
      file.problems.includes(
        "tenants.y (tenants.yaml:17): must be a map of that tenant's settings",
      ),
    );
  });

  it("20,000 aliases are read in one pass over the file, not one pass each", (t) => {
    // yaml's Alias.resolve walks the whole document each time: 50,000 aliases took 7 minutes, a
    // full 1 MiB file of them hours. It is not used; aliases are found in one pass.
    const Alias = createRequire(import.meta.url)("yaml").Alias;
    t.mock.method(Alias.prototype, "resolve", () => {
      throw new Error("Alias.resolve walks the whole document for each alias");
    });
    const n = 20_000;
    const file = read(
      `LOG_TYPES: [&a s, ${Array(n).fill("*a").join(", ")}]\ntenants:\n${tenant("x")}`,
    );
    assert.deepEqual(file.problems, []);
    assert.equal(file.top.get("LOG_TYPES")?.value?.length, 2 * (n + 1) - 1);
  });

  it("a long text repeated by aliases or ${VAR} is refused at 1 MiB, not built", () => {
    const long = read(
      `LOG_TYPES: [&a ${"s".repeat(600_000)}, ${Array(1000).fill("*a").join(", ")}]\ntenants:\n${tenant("x")}`,
    );
    assert.deepEqual(long.problems, [
      "LOG_TYPES (tenants.yaml:1): longer than 1 MiB once its aliases and variables are expanded",
    ]);
    const big = "f".repeat(100_000);
    const variables = read(
      `LOG_TYPES: [&a "\${BIG}", ${Array(1000).fill("*a").join(", ")}]\ntenants:\n${tenant("x")}`,
      (name) => (name === "BIG" ? big : undefined),
    );
    assert.deepEqual(variables.problems, [
      "LOG_TYPES (tenants.yaml:1): longer than 1 MiB once its aliases and variables are expanded",
    ]);
  });
});
