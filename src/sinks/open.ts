// Every sink in one place: the settings choose one, as DATABASE_URL chooses a store (store/open.ts).

import type { Logger } from "pino";
import type { Config } from "../config/types.ts";
import type { Sink } from "../interfaces.ts";
import { redactUrl } from "../util/secrets.ts";
import { logstashSinkConfig } from "./logstash/config.ts";
import { LogstashSink } from "./logstash/sink.ts";

export interface SinkDeps {
  logger: Logger;
}

/** The sink as settings describe it, before it has been contacted (the product is not known yet). */
export function describeSink(config: Config): string {
  if (config.sink.kind === "logstash") return `Logstash ${redactUrl(config.sink.url)}`;
  return `Elasticsearch/OpenSearch ${redactUrl(config.sink.urls[0] ?? "")} (${config.sink.index})`;
}

export async function openSink(config: Config, deps: SinkDeps): Promise<Sink> {
  if (config.sink.kind === "logstash") {
    return new LogstashSink(logstashSinkConfig(config.sink, config));
  }
  // Loaded only when chosen: one-off commands against Logstash need none of it.
  const { ElasticsearchSink } = await import("./elasticsearch/sink.ts");
  return new ElasticsearchSink(
    {
      ...config.sink,
      timeoutMs: config.requestTimeoutMs,
      format: config.documentFormat,
    },
    deps.logger,
  );
}
