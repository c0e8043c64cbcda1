// Masks secret values wherever text leaves the process: logs, run records, Slack, the dashboard.
// An upstream may echo what it was sent in an error message, so every form in which a secret is
// actually sent is masked too: URL-encoded (both encoders), JSON-escaped, and base64 at any
// position inside a longer base64 text (a basic-auth header is base64 of "user:password").

const secrets = new Set<string>();

/**
 * The base64 text that `value` contributes to any base64 encoding it is part of, whatever its
 * offset: encoded after 0, 1 or 2 leading bytes, minus the characters shared with its neighbours.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value);
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    // Leading characters mix in the unknown bytes before; trailing ones those after (or padding).
    const head = offset === 0 ? 0 : Math.ceil((offset * 8) / 6);
    const tail = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(head, tail);
    if (core.length >= 6) cores.push(core);
  }
  return cores;
}

/** Registers values that must never be shown; values shorter than 4 characters are ignored. */
export function registerSecrets(...values: (string | undefined | null)[]): void {
  for (const value of values) {
    if (!value || value.length < 4) continue;
    for (const form of [
      value,
      encodeURIComponent(value),
      // application/x-www-form-urlencoded, as URLSearchParams writes a query: ~ ( ) ! ' * differ.
      new URLSearchParams({ v: value }).toString().slice(2),
      JSON.stringify(value).slice(1, -1),
      Buffer.from(value).toString("base64"),
      ...base64Cores(value),
    ]) {
      if (form.length >= 4) secrets.add(form);
    }
  }
}

export function mask(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("***");
  }
  return out;
}

/**
 * A URL's password and the query values that may be credentials (password=, sslkey=, token=…),
 * as text and as sent: what to register as secrets, and to mask when the URL is shown.
 */
export function urlSecrets(raw: string): string[] {
  try {
    const url = new URL(raw);
    const found = [url.password, decodeURIComponent(url.password)];
    for (const [name, value] of url.searchParams) {
      if (/pass|secret|token|key/i.test(name)) found.push(value, encodeURIComponent(value));
    }
    return found.filter((value) => value.length > 0);
  } catch {
    return [];
  }
}

/** A URL with its password and credential-like query values masked, the rest kept. */
export function maskUrlCredentials(raw: string): string {
  let out = raw;
  for (const secret of urlSecrets(raw)) out = out.split(secret).join("***");
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
