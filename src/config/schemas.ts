// The shape of one setting and the validators settings are built from. Each stage owns its rows of
// the settings table (the sinks theirs, in their folders); these are what the rows share.

import { z } from "zod";
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

function isHttpUrl(value: string, https: boolean): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && (!https || LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

export const httpUrl = (https: boolean) =>
  z
    .string()
    .trim()
    .refine(
      (v) => isHttpUrl(v, https),
      `must be an ${https ? "https URL (http only for loopback hosts)" : "http(s) URL"}`,
    );

/** One URL or several, comma-separated. */
export const httpUrls = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url !== ""),
  )
  .refine(
    (urls) => urls.length > 0 && urls.every((url) => isHttpUrl(url, false)),
    "must be one or more http(s) URLs, comma-separated",
  );

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
  if (url.protocol !== "http:" || LOOPBACK.has(url.hostname) || what === null) return;
  if (allowed) {
    warnings.push(
      `${setting} is plain http:// to ${url.hostname}: ${what} travels unencrypted (ALLOW_INSECURE_HTTP=true); use https://`,
    );
  } else {
    problems.push(
      `${setting}: plain http:// to ${url.hostname} would send ${what} unencrypted; use https://, or set ALLOW_INSECURE_HTTP=true to accept the risk`,
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
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  return { url, user, password };
}
