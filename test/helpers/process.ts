// The service as a separate process, spoken to over real HTTP with a cookie jar: for probes that
// must show the process stays up, and for what only a socket has (client address, headers).

import { request } from "undici";
import { spawnCli } from "./cli.ts";
import { until } from "./poll.ts";

export const SERVICE_PASSWORD = "probe-dashboard-passphrase";

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Starts `run`, waits for its listener, and gives a small client for it. */
export async function startService(env: Record<string, string>, dir: string) {
  const process = spawnCli(
    ["run"],
    { HTTP_PORT: "0", DASHBOARD_PASSWORD: SERVICE_PASSWORD, ...env },
    dir,
  );
  let stderr = "";
  process.child.stderr.on("data", (chunk) => (stderr += chunk));
  const url = await until(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1]);
  let cookie = "";
  let csrf = "";
  const call = async (
    path: string,
    init: { method?: "GET" | "POST"; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...init.headers };
    if (cookie) headers.cookie = cookie;
    if (csrf && init.method === "POST") headers["x-csrf-token"] = csrf;
    const response = await request(`${url}${path}`, {
      method: init.method ?? "GET",
      headers,
      body: init.body,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      text: await response.body.text(),
    };
  };
  const signIn = async (user = "admin", password = SERVICE_PASSWORD, headers = {}) => {
    const answer = await call("/login", {
      method: "POST",
      body: new URLSearchParams({ user, password, next: "/" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
    const set = answer.headers["set-cookie"];
    const first = Array.isArray(set) ? set[0] : set;
    if (first) {
      cookie = first.split(";")[0] as string;
      csrf = /name="csrf-token" content="([^"]+)"/.exec((await call("/settings")).text)?.[1] ?? "";
    }
    return answer;
  };
  const stop = async () => {
    process.child.kill("SIGTERM");
    return process.done;
  };
  return {
    url,
    call,
    signIn,
    stop,
    cookie: () => cookie,
    child: process.child,
    done: process.done,
    stderr: () => stderr,
  };
}
