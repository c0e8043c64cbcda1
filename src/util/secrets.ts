// Masks secret values wherever text leaves the process: logs, run records, Slack, the dashboard.

const secrets = new Set<string>();

/** Registers values that must never be shown; values shorter than 4 characters are ignored. */
export function registerSecrets(...values: (string | undefined | null)[]): void {
  for (const value of values) {
    if (!value || value.length < 4) continue;
    secrets.add(value);
    // Secrets also travel encoded inside URLs and headers.
    secrets.add(encodeURIComponent(value));
    secrets.add(Buffer.from(value).toString("base64"));
  }
}

export function mask(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("***");
  }
  return out;
}

/** A URL fit to show: no credentials, no query (the Logstash URL's query holds the token). */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = "";
    url.password = "";
    const hadQuery = url.search !== "";
    url.search = "";
    return `${url.toString()}${hadQuery ? "?***" : ""}`;
  } catch {
    return "<invalid URL>";
  }
}
