// Every setting is validated before anything runs; each problem names the setting, says what was
// expected and shows a good example, and never echoes a secret.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { describeSettings } from "../src/config/describe.ts";
import { loadConfig, loadDeployment } from "../src/config/load.ts";
import { settings } from "../src/config/settings.ts";
import { ConfigError } from "../src/errors.ts";
import { mask } from "../src/util/secrets.ts";
import { runCli, tempDir } from "./helpers/cli.ts";

const valid = {
  AUTH0_DOMAIN: "acme.eu.auth0.com",
  AUTH0_CLIENT_ID: "client-id",
  AUTH0_CLIENT_SECRET: "s3cret-client-value",
  LOGSTASH_URL: "https://logstash.example.com:8080",
  LOGSTASH_INDEX: "auth0",
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, { cwd: tempDir() });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe("settings", () => {
  it("have sane defaults", () => {
    const config = loadConfig(valid, { cwd: tempDir() });
    assert.equal(config.batchSize, 100);
    assert.equal(config.auth0.origin, "https://acme.eu.auth0.com");
    assert.equal(config.databaseUrl, "sqlite:./data/state.sqlite");
    assert.equal(config.schedule, "*/5 * * * *");
    assert.equal(config.documentFormat, "extension");
    assert.equal(config.keepId, false);
    assert.equal(config.initialLookbackMs, 24 * 3_600_000);
    assert.equal(config.logTypes, undefined);
    assert.equal(config.logLevel, undefined);
    assert.deepEqual(config.http, {
      host: "127.0.0.1",
      port: 3000,
      allowedHosts: undefined,
      trustedProxies: undefined,
    });
  });

  it("report every missing required setting at once", () => {
    const problems = problemsOf({});
    for (const name of ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"]) {
      assert.ok(
        problems.some((p) => p.startsWith(`${name}: required but not set (example: `)),
        name,
      );
    }
    assert.ok(
      problems.some((p) =>
        p.startsWith("LOGSTASH_URL: required but not set, unless ELASTICSEARCH_URL"),
      ),
    );
  });

  it("choose exactly one sink, and read the Elasticsearch sink's settings", () => {
    const { LOGSTASH_URL: _url, LOGSTASH_INDEX: _index, ...auth0 } = valid;
    assert.ok(
      problemsOf({ ...valid, ELASTICSEARCH_URL: "https://es.example.com:9200" }).some((p) =>
        p.startsWith("LOGSTASH_URL: set together with ELASTICSEARCH_URL"),
      ),
    );
    const config = loadConfig(
      {
        ...auth0,
        ELASTICSEARCH_URL: "https://u:p%40ss@es1.example.com:9200/, https://es2.example.com:9200",
      },
      { cwd: tempDir() },
    );
    assert.equal(config.documentFormat, "ecs", "ECS by default for Elasticsearch");
    assert.ok(config.sink.kind === "elasticsearch");
    assert.deepEqual(config.sink.urls, [
      "https://es1.example.com:9200",
      "https://es2.example.com:9200",
    ]);
    assert.deepEqual(config.sink.auth, { kind: "basic", user: "u", password: "p@ss" });
    assert.equal(config.sink.index, "logs-auth0.export-default");
    assert.deepEqual(config.sink.dataStream, { dataset: "auth0.export", namespace: "default" });
    assert.equal(loadConfig(valid, { cwd: tempDir() }).documentFormat, "extension");
    const keepId = problemsOf({ ...auth0, ELASTICSEARCH_URL: "https://es:9200", KEEP_ID: "true" });
    assert.ok(keepId.some((p) => p.startsWith("KEEP_ID: ")));
    const twoAuth = problemsOf({
      ...auth0,
      ELASTICSEARCH_URL: "https://es:9200",
      ELASTICSEARCH_API_KEY: "a2V5",
      ELASTICSEARCH_AWS_REGION: "eu-west-1",
    });
    assert.ok(twoAuth.some((p) => p.includes("choose one way to authenticate")));
  });

  it("decode an Elastic Cloud id into the deployment's URL", () => {
    const { LOGSTASH_URL: _url, LOGSTASH_INDEX: _index, ...auth0 } = valid;
    const id = `prod:${Buffer.from("eu-west-1.aws.found.io$abc123$def456").toString("base64")}`;
    const config = loadConfig({ ...auth0, ELASTICSEARCH_CLOUD_ID: id }, { cwd: tempDir() });
    assert.ok(config.sink.kind === "elasticsearch");
    assert.deepEqual(config.sink.urls, ["https://abc123.eu-west-1.aws.found.io"]);
    assert.ok(
      problemsOf({ ...auth0, ELASTICSEARCH_CLOUD_ID: "not-a-cloud-id" }).some((p) =>
        p.startsWith("ELASTICSEARCH_CLOUD_ID: must be name:base64"),
      ),
    );
  });

  it("append LOGSTASH_TOKEN to the URL's query as token=", () => {
    const config = loadConfig(
      { ...valid, LOGSTASH_URL: "https://l.example.com/in?a=1", LOGSTASH_TOKEN: "t&k n" },
      { cwd: tempDir() },
    );
    assert.equal(
      config.sink.kind === "logstash" && config.sink.url,
      "https://l.example.com/in?a=1&token=t%26k+n",
    );
  });

  it("read ./.env, with the environment winning", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), "LOGSTASH_INDEX=from-file\nBATCH_SIZE=20\n# comment\n");
    const config = loadConfig({ ...valid, LOGSTASH_INDEX: "from-env" }, { cwd: dir });
    assert.equal(config.sink.kind === "logstash" && config.sink.index, "from-env");
    assert.equal(config.batchSize, 20);
  });

  it("accept the original SLACK_INCOMING_WEBHOOK_URL as an alias", () => {
    const config = loadConfig(
      { ...valid, SLACK_INCOMING_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X" },
      { cwd: tempDir() },
    );
    assert.equal(config.slack.webhookUrl, "https://hooks.slack.com/services/T/B/X");
  });

  it("accept LOG_LEVEL as a number or a name, and LOG_TYPES as a list", () => {
    const config = loadConfig(
      { ...valid, LOG_LEVEL: "Warning", LOG_TYPES: " s, f ,fp" },
      { cwd: tempDir() },
    );
    assert.equal(config.logLevel, 2);
    assert.deepEqual(config.logTypes, ["s", "f", "fp"]);
  });

  it("take ALLOWED_HOSTS as a list of host names and addresses", () => {
    const config = loadConfig(
      { ...valid, ALLOWED_HOSTS: " dash.example.com, auth0-logs-to-logstash ,[fd00::1],10.0.0.1" },
      { cwd: tempDir() },
    );
    assert.deepEqual(config.http.allowedHosts, [
      "dash.example.com",
      "auth0-logs-to-logstash",
      "[fd00::1]",
      "10.0.0.1",
    ]);
  });

  it("allow plain http only for loopback hosts", () => {
    assert.equal(
      loadConfig({ ...valid, AUTH0_DOMAIN: "http://127.0.0.1:8081" }, { cwd: tempDir() }).auth0
        .origin,
      "http://127.0.0.1:8081",
    );
    assert.ok(
      problemsOf({ ...valid, AUTH0_DOMAIN: "http://acme.auth0.com" })[0]?.startsWith(
        "AUTH0_DOMAIN:",
      ),
    );
  });

  const invalid: [string, Record<string, string>, string][] = [
    ["BATCH_SIZE not a number", { BATCH_SIZE: "abc" }, "BATCH_SIZE"],
    ["BATCH_SIZE zero", { BATCH_SIZE: "0" }, "BATCH_SIZE"],
    ["BATCH_SIZE over 100", { BATCH_SIZE: "101" }, "BATCH_SIZE"],
    ["BATCH_SIZE fractional", { BATCH_SIZE: "1.5" }, "BATCH_SIZE"],
    ["AUTH0_DOMAIN with a path", { AUTH0_DOMAIN: "https://acme.auth0.com/api" }, "AUTH0_DOMAIN"],
    ["AUTH0_DOMAIN not a host", { AUTH0_DOMAIN: "not a host" }, "AUTH0_DOMAIN"],
    ["LOGSTASH_URL not a URL", { LOGSTASH_URL: "logstash:8080" }, "LOGSTASH_URL"],
    [
      "LOGSTASH_URL of another scheme",
      { LOGSTASH_URL: "ftp://logstash.example.com" },
      "LOGSTASH_URL",
    ],
    ["LOGSTASH_USER without password", { LOGSTASH_USER: "u" }, "LOGSTASH_USER"],
    ["LOGSTASH_PASSWORD without user", { LOGSTASH_PASSWORD: "p4ssword" }, "LOGSTASH_PASSWORD"],
    ["START_FROM too short", { START_FROM: "900123" }, "START_FROM"],
    ["START_FROM with letters", { START_FROM: `900${"a".repeat(53)}` }, "START_FROM"],
    [
      "START_FROM with an impossible time",
      { START_FROM: `90020261399000000${"0".repeat(39)}` },
      "START_FROM",
    ],
    ["LOG_LEVEL out of range", { LOG_LEVEL: "5" }, "LOG_LEVEL"],
    ["LOG_LEVEL unknown name", { LOG_LEVEL: "verbose" }, "LOG_LEVEL"],
    ["LOG_TYPES unknown code", { LOG_TYPES: "s,nope" }, "LOG_TYPES"],
    ["SCHEDULE malformed cron", { SCHEDULE: "* * *" }, "SCHEDULE"],
    ["SCHEDULE bad field", { SCHEDULE: "61 * * * *" }, "SCHEDULE"],
    ["SCHEDULE interval too short", { SCHEDULE: "10ms" }, "SCHEDULE"],
    [
      "SLACK_INCOMING_WEBHOOK not https",
      { SLACK_INCOMING_WEBHOOK: "http://hooks.slack.com/x" },
      "SLACK_INCOMING_WEBHOOK",
    ],
    [
      "Slack alias conflicting",
      {
        SLACK_INCOMING_WEBHOOK: "https://a.example/1",
        SLACK_INCOMING_WEBHOOK_URL: "https://a.example/2",
      },
      "SLACK_INCOMING_WEBHOOK_URL",
    ],
    ["SLACK_SEND_SUCCESS not a boolean", { SLACK_SEND_SUCCESS: "maybe" }, "SLACK_SEND_SUCCESS"],
    ["KEEP_ID not a boolean", { KEEP_ID: "2" }, "KEEP_ID"],
    ["DATABASE_URL unknown kind", { DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    ["DOCUMENT_FORMAT unknown", { DOCUMENT_FORMAT: "ndjson" }, "DOCUMENT_FORMAT"],
    ["INITIAL_LOOKBACK without unit", { INITIAL_LOOKBACK: "24" }, "INITIAL_LOOKBACK"],
    ["RETRY_MAX_TIME negative", { RETRY_MAX_TIME: "-5m" }, "RETRY_MAX_TIME"],
    ["REQUEST_TIMEOUT words", { REQUEST_TIMEOUT: "soon" }, "REQUEST_TIMEOUT"],
    ["EXPORTER_LOG_LEVEL unknown", { EXPORTER_LOG_LEVEL: "loud" }, "EXPORTER_LOG_LEVEL"],
    ["HTTP_PORT out of range", { HTTP_PORT: "70000" }, "HTTP_PORT"],
    ["ALLOWED_HOSTS with a scheme", { ALLOWED_HOSTS: "https://dash.example.com" }, "ALLOWED_HOSTS"],
    [
      "ALLOWED_HOSTS with a port",
      { ALLOWED_HOSTS: "a.example,dash.example.com:80" },
      "ALLOWED_HOSTS",
    ],
    ["ALLOWED_HOSTS not a name", { ALLOWED_HOSTS: "dash example" }, "ALLOWED_HOSTS"],
  ];
  for (const [name, change, setting] of invalid) {
    it(`reject ${name}, naming ${setting} with an example`, () => {
      const problems = problemsOf({ ...valid, ...change });
      const problem = problems.find((p) => p.startsWith(`${setting}:`));
      assert.ok(problem, `no problem for ${setting} in ${JSON.stringify(problems)}`);
      assert.ok(problem.includes("example") || problem.includes("set only one"), problem);
    });
  }

  it("never echo secret values in problems", () => {
    const problems = problemsOf({
      AUTH0_DOMAIN: "http://x.example",
      AUTH0_CLIENT_SECRET: "   ",
      LOGSTASH_URL: "no-url-with-secret-9f8e7d",
      LOGSTASH_PASSWORD: "pw-secret-1a2b3c",
      SLACK_INCOMING_WEBHOOK: "not-a-url-secret-5d6e",
    }).join("\n");
    for (const secret of [
      "no-url-with-secret-9f8e7d",
      "pw-secret-1a2b3c",
      "not-a-url-secret-5d6e",
    ]) {
      assert.ok(!problems.includes(secret), secret);
    }
  });
});

describe("settings problems never quote credentials (issue 9's audit)", () => {
  const shown = (env: Record<string, string>, name: string) =>
    problemsOf({ ...valid, ...env }).find((p) => p.startsWith(`${name}: `)) ?? "accepted";

  it("AUTH0_DOMAIN: userinfo without a scheme, with a / in the password, or long", () => {
    for (const domain of [
      "u:SECRETpw@acme.auth0.com",
      "https://u:pa/SECRET@acme.auth0.com",
      `https://u:${"SECRET".repeat(12)}@acme.auth0.com`,
      "https://user:SECRET-no-host",
      "acme.auth0.com/?password=SECRET",
    ]) {
      const problem = shown({ AUTH0_DOMAIN: domain }, "AUTH0_DOMAIN");
      assert.match(problem, /^AUTH0_DOMAIN: must/, domain);
      assert.doesNotMatch(problem, /SECRET/, problem);
    }
    assert.match(
      shown({ AUTH0_DOMAIN: "u:pw@acme.auth0.com" }, "AUTH0_DOMAIN"),
      /got "\*\*\*@acme/,
    );
  });

  it("a % that cannot be decoded or a # in a password: exit 2 naming the setting", async () => {
    const cases: Record<string, string> = {
      LOGSTASH_URL: "https://u:pa%ZZSECRET@logstash.example.com",
      DATABASE_URL: "postgres://user:pa#SECRET@127.0.0.1:1/db",
    };
    for (const [name, value] of Object.entries(cases)) {
      const problem = shown({ [name]: value }, name);
      assert.match(problem, new RegExp(`^${name}: must be`), problem);
      assert.doesNotMatch(problem, /SECRET/, problem);
      const cli = await runCli(["check"], { ...valid, [name]: value });
      assert.equal(cli.code, 2, cli.stderr);
      assert.match(cli.stderr, new RegExp(`^error: ${name}: `));
      assert.doesNotMatch(cli.stderr, /SECRET/);
    }
    const { LOGSTASH_URL: _, ...cluster } = valid;
    const es = problemsOf({ ...cluster, ELASTICSEARCH_URL: "https://u:pa%ZZx@es.example.com" });
    assert.ok(
      es.some((p) => p.startsWith("ELASTICSEARCH_URL: must be")),
      es.join("\n"),
    );
    const encoded = "postgres://user:pa%23SECRET@127.0.0.1:1/db";
    assert.equal(shown({ DATABASE_URL: encoded }, "DATABASE_URL"), "accepted");
  });

  it("a credential in a URL's query counts over plain http", () => {
    const url = "http://10.255.255.1:8080/?token=SECRET-q";
    assert.match(
      shown({ LOGSTASH_URL: url }, "LOGSTASH_URL"),
      /token= of its query.*ALLOW_INSECURE/,
    );
    const allowed = loadConfig(
      { ...valid, LOGSTASH_URL: url, ALLOW_INSECURE_HTTP: "true" },
      { cwd: tempDir() },
    );
    assert.match(allowed.warnings.join("\n"), /travels unencrypted/);
    assert.equal(mask("echo token=SECRET-q"), "echo token=***");
    assert.equal(
      shown({ LOGSTASH_URL: "http://10.255.255.1:8080/?index=a" }, "LOGSTASH_URL"),
      "accepted",
    );
  });

  it("TAIL_INTERVAL starts at 1 s, like the intervals of SCHEDULE", () => {
    assert.match(shown({ TAIL_INTERVAL: "500ms" }, "TAIL_INTERVAL"), /from 1s to 1h/);
    assert.equal(
      loadConfig({ ...valid, TAIL_INTERVAL: "1s" }, { cwd: tempDir() }).tail.intervalMs,
      1000,
    );
  });
});

describe("a PostgreSQL DATABASE_URL", () => {
  it("is shown with its password masked, and the password is a secret everywhere", () => {
    const url =
      "postgres://exporter:pw-5ecret%2F9@db.internal:5432/auth0?schema=prod&sslpassword=k3y-pass";
    const env = { ...valid, DATABASE_URL: url };
    const config = loadDeployment(env, { cwd: tempDir() });
    assert.equal(config.process.databaseUrl, url);
    const shown = describeSettings(env, tempDir()).find((row) => row.name === "DATABASE_URL");
    assert.equal(
      shown?.value,
      "postgres://exporter:***@db.internal:5432/auth0?schema=prod&sslpassword=***",
    );
    assert.equal(
      mask("failed: pw-5ecret/9 and pw-5ecret%2F9 and k3y-pass"),
      "failed: *** and *** and ***",
    );
  });
});

describe("misspelt settings (Hardening 3, item 8)", () => {
  const warningsOf = (env: Record<string, string>, dotEnv = "") => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), dotEnv);
    return loadDeployment({ ...valid, ...env }, { cwd: dir }).process.warnings;
  };

  it("every key of .env that is not a setting is said, with the setting meant when close", () => {
    assert.deepEqual(
      warningsOf({}, "LOG_LEVLE=error\nlog_types=s\nSTACK_VERSION=9\nBATCH_SIZE=5\n"),
      [
        "LOG_LEVLE in .env is not a setting; did you mean LOG_LEVEL?",
        "STACK_VERSION in .env is not a setting, and is ignored",
        "log_types in .env is not a setting; did you mean LOG_TYPES?",
      ],
    );
  });

  it("a variable of the environment with our prefix is said only when close to a setting", () => {
    assert.deepEqual(
      warningsOf({
        LOG_LEVLE: "error",
        SCHEDUEL: "5m", // no prefix of ours: another program's, for all we know
        AUTH0_AUDIENCE: "https://api.example.com", // other Auth0 tools' variables
        AUTH0_SECRET: "x".repeat(32),
        SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
        ELASTICSEARCH_HOSTS: "http://es:9200",
        ELASTICSEARCH_PORT: "tcp://10.0.0.5:9200", // a Kubernetes service link
        HTTP_PROXY: "http://proxy:3128",
        LOGSTASH_URLL: "",
      }),
      ["LOG_LEVLE in the environment is not a setting; did you mean LOG_LEVEL?"],
    );
  });

  it("the prefixes come from the settings table: a typo of any setting is caught", () => {
    for (const name of settings.map((s) => s.name).filter((n) => n.includes("_"))) {
      const typo = `${name}S`;
      if (settings.some((s) => s.name === typo)) continue;
      assert.deepEqual(
        warningsOf({ [typo]: "1" }),
        [`${typo} in the environment is not a setting; did you mean ${name}?`],
        name,
      );
    }
  });

  it("an unset setting's error names its misspelling, from the environment or .env", () => {
    const { LOGSTASH_URL: _url, AUTH0_DOMAIN: _domain, ...rest } = valid;
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), "AUTH0_DOMIAN=acme.eu.auth0.com\n");
    const problems = (() => {
      try {
        loadConfig({ ...rest, LOGSTASH_URLL: "https://l.example.com" }, { cwd: dir });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    })();
    assert.deepEqual(problems, [
      "AUTH0_DOMAIN: required but not set (AUTH0_DOMIAN is set: a typo?) (example: AUTH0_DOMAIN=acme.eu.auth0.com)",
      "LOGSTASH_URL: required but not set (LOGSTASH_URLL is set: a typo?), unless ELASTICSEARCH_URL or ELASTICSEARCH_CLOUD_ID selects the Elasticsearch sink (example: LOGSTASH_URL=https://logstash.example.com:8080)",
    ]);
    const { LOGSTASH_URL: _, LOGSTASH_INDEX: __, ...noSink } = valid;
    assert.match(
      problemsOf({ ...noSink, ELASTICSEARCH_ULR: "https://es.example.com" })[0] ?? "",
      /^LOGSTASH_URL: required but not set \(ELASTICSEARCH_ULR is set: a typo of ELASTICSEARCH_URL\?\), unless/,
    );
    assert.deepEqual(problemsOf({ ...valid, LOGSTASH_PASWORD: "pw-1234", LOGSTASH_USER: "u" }), [
      "LOGSTASH_USER: set without LOGSTASH_PASSWORD; basic auth needs both (LOGSTASH_PASWORD is set: a typo of LOGSTASH_PASSWORD?) (example: LOGSTASH_PASSWORD=…)",
    ]);
  });

  it("the variables a tenants file reads are not taken for misspellings", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), "PROD_SECRET=s3cret-client-value\nLOG_LEVLE=error\n");
    writeFileSync(
      join(dir, "tenants.yaml"),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own syntax
      "LOGSTASH_URL: https://l.example.com\nLOGSTASH_INDEX: a\ntenants:\n  prod:\n    AUTH0_DOMAIN: acme.eu.auth0.com\n    AUTH0_CLIENT_ID: c\n    AUTH0_CLIENT_SECRET: ${PROD_SECRET}\n",
    );
    const deployment = loadDeployment({ CONFIG_FILE: "tenants.yaml" }, { cwd: dir });
    assert.deepEqual(deployment.process.warnings, [
      "LOG_LEVLE in .env is not a setting; did you mean LOG_LEVEL?",
    ]);
  });
});
