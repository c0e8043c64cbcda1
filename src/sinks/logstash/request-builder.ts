// One POST to Logstash's http input: URL (token included), headers, body.

import type { LogstashSinkConfig } from "./config.ts";

export interface LogstashRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const USER_AGENT = "auth0-logs-to-logstash";

export function buildRequest(config: LogstashSinkConfig, body: string): LogstashRequest {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
  };
  if (config.authorization) headers.authorization = config.authorization;
  return { url: config.url, headers, body };
}
