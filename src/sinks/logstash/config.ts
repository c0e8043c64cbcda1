// What the Logstash sink needs from the settings: where to POST and how to authenticate.

import type { Config } from "../../config/types.ts";

export interface LogstashSinkConfig {
  /** The full URL, token included: a secret. */
  url: string;
  authorization: string | undefined;
  timeoutMs: number;
}

export function logstashSinkConfig(config: Config): LogstashSinkConfig {
  const { url, user, password } = config.logstash;
  return {
    url,
    authorization:
      user !== undefined && password !== undefined
        ? `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
        : undefined,
    timeoutMs: config.requestTimeoutMs,
  };
}
