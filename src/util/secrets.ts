// Masks secret values wherever text leaves the process: logs, run records, Slack, the dashboard.
// An upstream may echo what it was sent in an error message, so every form in which a secret is
// actually sent is masked too: URL-encoded (both encoders), JSON-escaped (once, and twice when a
// JSON body is quoted inside a JSON string), and base64 at any position inside a longer base64
// text (a basic-auth header is base64 of "user:password").

/** Forms of the settings' secrets: they live as long as the process. */
const secrets = new Set<string>();
/** Forms of secrets that are replaced over time (access tokens), by owner: the newest two. */
const rotating = new Map<string, string[][]>();
/** Every form, longest first (so that a longer form is masked whole); rebuilt after a change. */
let ordered: string[] | null = null;

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

const jsonEscaped = (value: string) => JSON.stringify(value).slice(1, -1);

/** The forms of one secret, the value itself first; none for values shorter than 4 characters. */
function formsOf(value: string | undefined | null): string[] {
  if (!value || value.length < 4) return [];
  const forms = [
    value,
    encodeURIComponent(value),
    // application/x-www-form-urlencoded, as URLSearchParams writes a query: ~ ( ) ! ' * differ.
    new URLSearchParams({ v: value }).toString().slice(2),
    jsonEscaped(value),
    // A JSON body quoted in a JSON error message: {"message":"bad body {\"secret\":…}"}.
    jsonEscaped(jsonEscaped(value)),
    Buffer.from(value).toString("base64"),
    ...base64Cores(value),
  ];
  return [...new Set(forms.filter((form) => form.length >= 4))];
}

/** Registers values that must never be shown; values shorter than 4 characters are ignored. */
export function registerSecrets(...values: (string | undefined | null)[]): void {
  for (const value of values) {
    for (const form of formsOf(value)) secrets.add(form);
  }
  ordered = null;
}

/**
 * Registers a secret that replaces an earlier one of the same owner (an access token renewed
 * every day): the owner's two newest stay masked, so that masking does not grow with uptime.
 */
export function registerRotatingSecret(owner: string, value: string): void {
  const kept = rotating.get(owner) ?? [];
  if (kept[0]?.[0] === value) return;
  rotating.set(owner, [formsOf(value), ...kept].slice(0, 2));
  ordered = null;
}

function allForms(): string[] {
  ordered ??= [...new Set([...secrets, ...[...rotating.values()].flat(2)])].sort(
    (a, b) => b.length - a.length,
  );
  return ordered;
}

export function mask(text: string): string {
  let out = text;
  for (const secret of allForms()) {
    if (out.includes(secret)) out = out.split(secret).join("***");
  }
  return out;
}

/**
 * About the first `chars` characters of `text`, masked: a long text is cut before it is masked
 * (masking 16 MiB for an excerpt is wasted work), and then the end of the cut, where a secret may
 * have been split and so not recognised, is dropped too.
 */
export function maskedStart(text: string, chars: number): string {
  const longest = allForms()[0]?.length ?? 0;
  if (text.length <= chars + longest) return mask(text);
  const masked = mask(text.slice(0, chars + longest));
  return longest === 0 ? masked : masked.slice(0, -longest);
}

/** Names of query parameters that may carry a credential (password=, sslkey=, token=…). */
export const CREDENTIAL_PARAM = /pass|secret|token|key/i;

/** Percent-decoded, or as it is when it is not validly encoded (`%ZZ`). */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A URL's password and the query values that may be credentials (password=, sslkey=, token=…),
 * as text and as sent: what to register as secrets, and to mask when the URL is shown.
 */
export function urlSecrets(raw: string): string[] {
  try {
    const url = new URL(raw);
    const found = [url.password, safeDecode(url.password)];
    for (const [name, value] of url.searchParams) {
      if (CREDENTIAL_PARAM.test(name)) found.push(value, encodeURIComponent(value));
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
