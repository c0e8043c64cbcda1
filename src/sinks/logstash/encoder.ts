// Logstash's http input decodes an application/json array into one event per element; NDJSON would
// need a codec the operator has to configure, so a JSON array is the body that always works. The
// original extension's fields are added here, for its document format only.

import type { LogstashSinkConfig } from "./config.ts";

/**
 * The body of one POST. Takes ownership of the documents (freshly shaped, used by no one else) and
 * extends them in place: a removed field is set to undefined, which JSON.stringify leaves out.
 */
export function encodeBatch(
  documents: Record<string, unknown>[],
  config: Pick<LogstashSinkConfig, "format" | "index">,
  now: () => Date = () => new Date(),
): string {
  if (config.format === "extension") {
    const postDate = now().toISOString();
    for (const document of documents) {
      // Logstash's http input (ECS mode) sets an object user_agent on every event: a string
      // user_agent from Auth0 would collide with it.
      if (typeof document.user_agent === "string") {
        document.auth0_user_agent = document.user_agent;
        document.user_agent = undefined;
      }
      document.index = config.index;
      document.post_date = postDate;
    }
  }
  return JSON.stringify(documents);
}
