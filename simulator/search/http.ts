// The HTTP edge of the fake: reading a body within http.max_content_length (counted after gzip,
// as Netty aggregates decompressed bytes), the Content-Type rules (406 for anything but JSON, the
// ES 8/9 "compatible-with" media types and their 400), the product header and filter_path of
// answers. Clients break on exactly these details, so they are not left to each route.

import type { IncomingMessage } from "node:http";
import { gunzipSync, inflateSync } from "node:zlib";
import { errorBody, esError, fail, HttpError, type Json } from "./errors.ts";
import type { Flavor } from "./options.ts";

export type Body = { raw: Buffer; text: string };

/** Reads the whole body; throws 413 (empty body, as Netty answers) or 400 for a corrupt gzip. */
export async function readBody(req: IncomingMessage, max: number): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= max) chunks.push(chunk as Buffer);
  }
  if (size > max) throw new HttpError(413, "");
  const raw = Buffer.concat(chunks);
  const encoding = String(req.headers["content-encoding"] ?? "").toLowerCase();
  if (encoding !== "gzip" && encoding !== "x-gzip" && encoding !== "deflate") {
    return { raw, text: raw.toString("utf8") };
  }
  try {
    const inflate = encoding === "deflate" ? inflateSync : gunzipSync;
    return { raw, text: inflate(raw, { maxOutputLength: max }).toString("utf8") };
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new HttpError(413, "");
    // Netty's decoder fails the request before any handler sees it. [UNCONFIRMED wording]
    throw fail(400, "decompression_exception", "Input is not in the GZIP format");
  }
}

interface MediaType {
  essence: string;
  params: Map<string, string>;
  header: string;
}

function parseMediaType(header: string): MediaType {
  const [essence = "", ...rest] = header.split(";");
  const params = new Map<string, string>();
  for (const part of rest) {
    const [key, value = ""] = part.split("=");
    if (key) params.set(key.trim().toLowerCase(), value.trim().replace(/^"|"$/g, ""));
  }
  return { essence: essence.trim().toLowerCase(), params, header };
}

const PLAIN = new Set(["application/json", "application/x-ndjson"]);
const VENDORED = new Set([
  "application/vnd.elasticsearch+json",
  "application/vnd.elasticsearch+x-ndjson",
]);

function versionOf(media: MediaType | undefined): number | undefined {
  const raw = media?.params.get("compatible-with");
  return raw === undefined ? undefined : Number.parseInt(raw, 10);
}

function mediaTypeError(flavor: Flavor, headers: string[], reason: string): HttpError {
  const error = esError(
    "media_type_header_exception",
    `Invalid media-type value on headers [${headers.join(", ")}]`,
    { caused_by: esError("status_exception", reason) },
  );
  return new HttpError(400, errorBody(400, error), productHeader(flavor));
}

/**
 * ES 8/9 RestCompatibleVersionHelper: a vendored Accept or Content-Type must name this major or
 * the one before, and both must agree when a body is sent. Returns the vendored media type to
 * answer with, if the client asked for one.
 */
export function checkCompatibility(
  flavor: Flavor,
  req: IncomingMessage,
  hasBody: boolean,
): string | undefined {
  if (!flavor.es || flavor.major < 8) return undefined;
  const acceptHeader = req.headers.accept;
  const accept = acceptHeader ? parseMediaType(acceptHeader) : undefined;
  const contentHeader = req.headers["content-type"];
  const content = contentHeader ? parseMediaType(contentHeader) : undefined;
  const acceptVersion = accept && VENDORED.has(accept.essence) ? versionOf(accept) : undefined;
  const contentVersion = content && VENDORED.has(content.essence) ? versionOf(content) : undefined;
  const allowed = `${flavor.major} or ${flavor.major - 1}`;
  const inRange = (v: number) => v === flavor.major || v === flavor.major - 1;
  const failed = ["Accept", "Content-Type"];
  if (acceptVersion !== undefined && !inRange(acceptVersion)) {
    throw mediaTypeError(
      flavor,
      failed,
      `Accept version must be either version ${allowed}, but found ${acceptVersion}. Accept=${acceptHeader}`,
    );
  }
  if (hasBody) {
    if (contentVersion !== undefined && !inRange(contentVersion)) {
      throw mediaTypeError(
        flavor,
        failed,
        `Content-Type version must be either version ${allowed}, but found ${contentVersion}. Content-Type=${contentHeader}`,
      );
    }
    const both = `Accept=${acceptHeader ?? "null"}, Content-Type=${contentHeader ?? "null"}`;
    if ((acceptVersion ?? flavor.major) !== (contentVersion ?? flavor.major)) {
      throw mediaTypeError(
        flavor,
        failed,
        `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. ${both}`,
      );
    }
    if ((acceptVersion === undefined) !== (contentVersion === undefined)) {
      throw mediaTypeError(
        flavor,
        failed,
        `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. ${both}`,
      );
    }
  }
  const version = acceptVersion ?? contentVersion;
  return version === undefined
    ? undefined
    : `application/vnd.elasticsearch+json;compatible-with=${version}`;
}

/** 406 unless the body is JSON or NDJSON (UTF-8); the vendored types only on ES 8+. */
export function checkContentType(flavor: Flavor, req: IncomingMessage): void {
  const header = req.headers["content-type"];
  const refuse = (message: string) =>
    new HttpError(406, { error: message, status: 406 }, productHeader(flavor));
  if (!header) throw refuse("Content-Type header is missing");
  const media = parseMediaType(header);
  const vendored = flavor.es && flavor.major >= 8 && VENDORED.has(media.essence);
  const charset = media.params.get("charset");
  if (
    (!PLAIN.has(media.essence) && !vendored) ||
    (charset !== undefined && charset.toLowerCase() !== "utf-8")
  ) {
    throw refuse(`Content-Type header [${header}] is not supported`);
  }
}

export function productHeader(flavor: Flavor): Record<string, string> {
  return flavor.es ? { "X-Elastic-Product": "Elasticsearch" } : {};
}

/** filter_path as Logstash and Beats send it (`errors,items.*.error`), without `**` or `-x`. */
export function filterPath(value: unknown, filter: string | null): unknown {
  if (!filter) return value;
  const patterns = filter.split(",").map((path) => path.trim().split("."));
  const keep = (node: unknown, alive: string[][]): unknown => {
    if (Array.isArray(node)) {
      const kept = node.map((item) => keep(item, alive)).filter((item) => item !== undefined);
      return kept.length > 0 ? kept : undefined;
    }
    if (node === null || typeof node !== "object") return undefined;
    const out: Json = {};
    for (const [key, inner] of Object.entries(node as Json)) {
      const next: string[][] = [];
      let whole = false;
      for (const pattern of alive) {
        const head = pattern[0] ?? "";
        const matches = head === "*" || head === key || globMatch(head, key);
        if (!matches) continue;
        if (pattern.length === 1) whole = true;
        else next.push(pattern.slice(1));
      }
      if (whole) out[key] = inner;
      else if (next.length > 0) {
        const kept = keep(inner, next);
        if (kept !== undefined) out[key] = kept;
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return keep(value, patterns) ?? {};
}

/** Index-pattern globs: only `*` is special. */
export function globMatch(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`).test(name);
}
