// Logstash's http input decodes an application/json array into one event per element; NDJSON would
// need a codec the operator has to configure, so a JSON array is the body that always works.

export function encodeBatch(documents: readonly Record<string, unknown>[]): string {
  return JSON.stringify(documents);
}
