// The Logstash sink as the program sees it (sinks/module.ts): LOGSTASH_URL chooses it.

import { redactUrl, urlSecrets } from "../../util/secrets.ts";
import type { SinkModule } from "../module.ts";
import {
  type LogstashConfig,
  logstashConfig,
  logstashSettings,
  logstashSinkConfig,
} from "./config.ts";
import { LogstashSink } from "./sink.ts";

export const logstash: SinkModule<LogstashConfig> = {
  kind: "logstash",
  label: "Logstash",
  choice: "Logstash's http input",
  settings: logstashSettings,
  selectedBy: ["LOGSTASH_URL"],
  defaultFormat: "extension",
  configFrom(parsed, problems, warnings) {
    if (parsed.LOGSTASH_URL !== undefined) return logstashConfig(parsed, problems, warnings);
    // The URL did not parse (that is reported): what else is missing is said at once.
    if (parsed.LOGSTASH_INDEX === undefined) {
      problems.push(
        "LOGSTASH_INDEX: required with LOGSTASH_URL (example: LOGSTASH_INDEX=auth0-logs)",
      );
    }
    return undefined;
  },
  // A credential in a URL's query (?token=…) is a secret on its own too, however it is echoed.
  secretForms: (sink) => [
    sink.url,
    ...urlSecrets(sink.url),
    sink.password,
    sink.password && `${sink.user}:${sink.password}`,
    ...(sink.verify?.urls.flatMap(urlSecrets) ?? []),
    ...(sink.verify?.auth.kind === "basic"
      ? [sink.verify.auth.password, `${sink.verify.auth.user}:${sink.verify.auth.password}`]
      : sink.verify?.auth.kind === "api-key"
        ? [sink.verify.auth.key]
        : []),
  ],
  describe: (sink) => `Logstash ${redactUrl(sink.url)}`,
  place: (sink) => `Logstash ${redactUrl(sink.url)} index ${sink.index}`,
  overlapKey: (sink) => `${sink.url}\n${sink.index}`,
  placeSetting: "LOGSTASH_INDEX",
  async open(sink, options) {
    return new LogstashSink(
      logstashSinkConfig(sink, {
        requestTimeoutMs: options.timeoutMs,
        documentFormat: options.format,
      }),
    );
  },
};
