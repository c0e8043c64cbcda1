// A peer whose TLS certificate cannot be trusted fails at once, without retries, with a message
// naming the peer, its host and how to trust a private CA; retrying would only meet the same
// certificate for RETRY_MAX_TIME. The certificate is made here with openssl: a self-signed one
// for "localhost" only, valid for two days, thrown away with its key after the test.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { join } from "node:path";
import { before, describe, it, type TestContext } from "node:test";
import { SinkError, SourceError } from "../src/errors.ts";
import { ClusterClient } from "../src/sinks/elasticsearch/service.ts";
import { certificateProblem, exchange } from "../src/util/http.ts";
import { Agent } from "../src/util/undici.ts";
import { runCli, tempDir } from "./helpers/cli.ts";

let cert: Buffer;
let key: Buffer;

before(() => {
  const dir = tempDir("a2l-tls-");
  execFileSync("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "2"],
    ...["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
  ]);
  cert = readFileSync(join(dir, "cert.pem"));
  key = readFileSync(join(dir, "key.pem"));
});

/** An https server with that certificate; counts the TLS connections it was offered. */
async function server(t: TestContext) {
  let connections = 0;
  const https = createServer({ cert, key }, (_request, response) => response.end("{}"));
  https.on("connection", () => connections++);
  await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
  t.after(() => https.close());
  const { port } = https.address() as { port: number };
  return { port, connections: () => connections };
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    return error as SourceError;
  }
  assert.fail("the exchange succeeded");
}

describe("TLS certificates", () => {
  it("self-signed, or for another name: not retryable, naming the peer, its host and what to do", async (t) => {
    const { port } = await server(t);
    const request = (agent: Agent, host: string, peer: string) =>
      exchange(agent, `https://${host}:${port}/`, {
        method: "GET",
        peer,
        maxBytes: 1024,
        errorClass: SourceError,
      });
    const untrusting = new Agent();
    t.after(() => untrusting.close());
    const untrusted = await failure(request(untrusting, "localhost", "Auth0 token endpoint"));
    assert.equal(untrusted.retryable, false);
    assert.match(
      untrusted.message,
      new RegExp(
        `^Auth0 token endpoint: the TLS certificate of localhost:${port} is not trusted \\(DEPTH_ZERO_SELF_SIGNED_CERT\\); .*NODE_EXTRA_CA_CERTS`,
      ),
    );
    // The cluster's client names its own setting beside NODE_EXTRA_CA_CERTS.
    const client = new ClusterClient(
      { urls: [`https://localhost:${port}`], auth: { kind: "none" }, caFile: undefined },
      5_000,
    );
    t.after(() => client.close());
    const cluster = await failure(client.request({ method: "GET", path: "/" }));
    assert.match(cluster.message, /set ELASTICSEARCH_CA_FILE .* NODE_EXTRA_CA_CERTS/);
    const trusting = new Agent({ connect: { ca: cert } });
    t.after(() => trusting.close());
    const misnamed = await failure(request(trusting, "127.0.0.1", "Logstash"));
    assert.equal(misnamed.retryable, false);
    assert.match(
      misnamed.message,
      /^Logstash: .* was not issued for that name \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
    );
    assert.equal((await request(trusting, "localhost", "Logstash")).status, 200);
  });

  it("expired or not yet valid, by the code Node gives", () => {
    const error = Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" });
    assert.match(certificateProblem(error, "Slack", "hooks.slack.com") ?? "", /has expired/);
    const wrapped = new SinkError("failed", {
      retryable: true,
      cause: { code: "CERT_NOT_YET_VALID" },
    });
    assert.match(certificateProblem(wrapped, "Slack", "h") ?? "", /not valid yet.*clock/);
    assert.equal(
      certificateProblem(Object.assign(new Error(), { code: "ECONNRESET" }), "x", "h"),
      undefined,
    );
  });

  it("an execution against a self-signed Auth0 fails at once instead of retrying for RETRY_MAX_TIME", async (t) => {
    const auth0 = await server(t);
    const result = await runCli(["once"], {
      AUTH0_DOMAIN: `https://localhost:${auth0.port}`,
      AUTH0_CLIENT_ID: "client-id",
      AUTH0_CLIENT_SECRET: "s3cret-client-value",
      LOGSTASH_URL: "http://127.0.0.1:1",
      LOGSTASH_INDEX: "auth0",
      RETRY_MAX_TIME: "5s",
      DATABASE_URL: `sqlite:${join(tempDir(), "state.sqlite")}`,
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /Auth0 token endpoint: the TLS certificate of localhost:\d+ is not trusted/,
    );
    assert.equal(auth0.connections(), 1, "one attempt, no retries");
  });
});
