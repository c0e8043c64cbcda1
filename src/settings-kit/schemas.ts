// The shape of one setting and the validators settings are built from. Each stage owns its rows of
// the settings table (the sinks theirs, in their folders); these are what the rows share.

import { z } from "zod";
import { CREDENTIAL_PARAM } from "../util/secrets.ts";
import { durationText, parseDuration } from "./duration.ts";

export interface SettingDefinition {
  name: string;
  group: string;
  /**
   * process: one value for the whole service (its listener, store, dashboard, own logs); job: one
   * value per exported tenant, which the tenants file may set for each tenant (CONFIG_FILE).
   */
  scope: "process" | "job";
  default?: string;
  required?: boolean;
  secret?: boolean;
  example: string;
  description: string;
  /** May be written as a YAML list in the tenants file (joined with commas): its schema splits. */
  list?: boolean;
  /** Accepted values, for the docs, when the schema bounds them. */
  range?: string;
  /** Checks the raw text; the message says what was expected. */
  schema: z.ZodType<unknown, string>;
}

export const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export const text = z.string().trim().min(1, "must not be empty");

export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

export const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["true", "false", "1", "0", "yes", "no"].includes(v), "must be true or false")
  .transform((v) => ["true", "1", "yes"].includes(v));

/** A duration within a range: out of range, timers overflow or switch off, dates go invalid. */
export const duration = (min: string, max: string) => {
  const [low, high] = [parseDuration(min) as number, parseDuration(max) as number];
  return z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < low || ms > high) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration from ${durationText(low)} to ${durationText(high)}, such as 30s, 5m, 24h or 7d`,
      });
      return z.NEVER;
    }
    return ms;
  });
};

/**
 * Why a URL's user or password cannot be sent as written (a `%` not followed by two hex digits
 * cannot be decoded), or undefined. Says nothing of the value: it may be a password.
 */
export function credentialsProblem(url: URL): string | undefined {
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    return undefined;
  } catch {
    return "its user or password holds a % that is not followed by two hex digits: percent-encode them (% as %25, # as %23, @ as %40, / as %2F)";
  }
}

/** Why `value` is not a usable http(s) URL, or undefined. */
function httpUrlProblem(value: string, https: boolean): string | undefined {
  const expected = `must be an ${https ? "https URL (http only for loopback hosts)" : "http(s) URL"}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return expected;
  }
  const insecure = url.protocol === "http:" && https && !LOOPBACK.has(url.hostname);
  if ((url.protocol !== "https:" && url.protocol !== "http:") || insecure) return expected;
  const credentials = credentialsProblem(url);
  return credentials === undefined ? undefined : `${expected}; ${credentials}`;
}

export const httpUrl = (https: boolean) =>
  z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      const problem = httpUrlProblem(v, https);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

/** A comma-separated list: each entry trimmed, empty ones dropped ("a, b,," is ["a", "b"]). */
export const commaList = () =>
  z.string().transform((v) =>
    v
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ""),
  );

/** One URL or several, comma-separated. */
export const httpUrls = commaList().superRefine((urls, ctx) => {
  const problem =
    urls.length === 0
      ? "must be one or more http(s) URLs, comma-separated"
      : urls.map((url) => httpUrlProblem(url, false)).find((p) => p !== undefined);
  if (problem === undefined) return;
  const message = problem.replace(
    "must be an http(s) URL",
    "must be one or more http(s) URLs, comma-separated",
  );
  ctx.addIssue({ code: "custom", message });
});

/**
 * Credentials over plain http to another host would travel readable by anyone on the path:
 * refused, unless ALLOW_INSECURE_HTTP accepts the risk, which is then said at every start.
 */
export function plainHttpCheck(
  setting: string,
  url: URL,
  what: string | null,
  allowed: boolean,
  problems: string[],
  warnings: string[],
): void {
  if (url.protocol !== "http:" || LOOPBACK.has(url.hostname)) return;
  // A credential in the URL's own query (?token=…, ?api_key=…) travels in clear just the same.
  const inQuery = [...url.searchParams.keys()].find((name) => CREDENTIAL_PARAM.test(name));
  const sent = what ?? (inQuery === undefined ? null : `the ${inQuery.slice(0, 40)}= of its query`);
  if (sent === null) return;
  if (allowed) {
    warnings.push(
      `${setting} is plain http:// to ${url.hostname}: ${sent} travels unencrypted (ALLOW_INSECURE_HTTP=true); use https://`,
    );
  } else {
    problems.push(
      `${setting}: plain http:// to ${url.hostname} would send ${sent} unencrypted; use https://, or set ALLOW_INSECURE_HTTP=true to accept the risk`,
    );
  }
}

/** Credentials in a URL, decoded, and the URL without them (undici drops them anyway). */
export function splitCredentials(raw: string): {
  url: URL;
  user: string | undefined;
  password: string | undefined;
} {
  const url = new URL(raw);
  if (url.username === "" && url.password === "") {
    return { url, user: undefined, password: undefined };
  }
  // Validated before (credentialsProblem); kept as written if not, rather than throwing here.
  const decode = (text: string) =>
    credentialsProblem(url) === undefined ? decodeURIComponent(text) : text;
  const user = decode(url.username);
  const password = decode(url.password);
  url.username = "";
  url.password = "";
  return { url, user, password };
}
