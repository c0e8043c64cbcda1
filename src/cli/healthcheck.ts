// The container image's HEALTHCHECK (exec form: a distroless image has no shell and no curl):
// GET /healthz of the service running in this container, exit 0 when it answers 200 within 2 s,
// 1 otherwise, with the reason on stderr (Docker keeps it in the container's health log).
// It reads the settings the service got from the environment: HTTP_PORT (default 3000), and
// HTTP_HOST when it names one address rather than all of them. It imports nothing of the package:
// it runs every 30 s and must start fast.

import { request } from "node:http";

const TIMEOUT_MS = 2_000;
const EVERY_ADDRESS = new Set(["", "0.0.0.0", "::", "[::]"]);

const configuredHost = process.env.HTTP_HOST?.trim() ?? "";
const host = EVERY_ADDRESS.has(configuredHost)
  ? "127.0.0.1"
  : configuredHost.replace(/^\[(.*)\]$/, "$1");
const port = Number(process.env.HTTP_PORT?.trim() || "3000");

function unhealthy(reason: string): never {
  process.stderr.write(`unhealthy: http://${host}:${port}/healthz ${reason}\n`);
  process.exit(1);
}

if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  unhealthy(`cannot be checked: HTTP_PORT must be a port from 1 to 65535`);
}

// The whole check, connection included, within TIMEOUT_MS: a service that accepts and then hangs
// is as unhealthy as one that is down.
setTimeout(() => unhealthy(`did not answer within ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
const req = request({ host, port, path: "/healthz" }, (res) => {
  res.resume();
  if (res.statusCode === 200) {
    process.stdout.write("ok\n");
    process.exit(0);
  }
  unhealthy(`answered ${res.statusCode}`);
});
req.on("error", (error) => unhealthy(`failed: ${error.message}`));
req.end();
