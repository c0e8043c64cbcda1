// Whether one JSON value fits one mapped field type, with the cause ES gives when it does not:
// numeric strings are coerced into numbers, numbers into keywords, "" counts as null for numbers,
// a date must match the field's formats, an ip must be an address. This is where a fake is most
// tempted to be kind, and where a real cluster rejects documents a client thought were fine.

import { isIP } from "node:net";
import { type EsError, esError, type Json, javaString } from "./errors.ts";

export type LeafResult =
  | { ok: true; constant?: string }
  | { ok: false; cause: EsError; malformed: boolean };

const OK: LeafResult = { ok: true };

/** Types given a whole object or array as one value (the walker does not descend into them). */
export const WHOLE_VALUE_TYPES = new Set([
  "flattened",
  "flat_object",
  "geo_point",
  "geo_shape",
  "shape",
  "point",
  "xy_point",
  "xy_shape",
  "integer_range",
  "float_range",
  "long_range",
  "double_range",
  "date_range",
  "ip_range",
  "join",
  "percolator",
  "histogram",
  "dense_vector",
  "sparse_vector",
  "knn_vector",
  "rank_features",
  "completion",
  "semantic_text",
]);

const STRING_TYPES = new Set([
  "text",
  "keyword",
  "match_only_text",
  "wildcard",
  "search_as_you_type",
  "version",
  "binary",
  "counted_keyword",
]);

const INTEGER_RANGES: Record<string, [number, number, string]> = {
  // 2^63 and 2^64 as doubles: JSON numbers arrive as doubles anyway.
  long: [-(2 ** 63), 2 ** 63 - 1, "a long"],
  unsigned_long: [0, 2 ** 64 - 1, "an unsigned_long"],
  integer: [-2147483648, 2147483647, "an integer"],
  short: [-32768, 32767, "a short"],
  byte: [-128, 127, "a byte"],
};

const FLOAT_TYPES = new Set(["double", "float", "half_float", "scaled_float"]);

function tokenOf(value: unknown): string {
  if (Array.isArray(value)) return "START_ARRAY";
  if (value !== null && typeof value === "object") return "START_OBJECT";
  if (typeof value === "boolean") return value ? "VALUE_TRUE" : "VALUE_FALSE";
  return "VALUE_STRING";
}

function bad(type: string, reason: string, malformed = true): LeafResult {
  return { ok: false, cause: esError(type, reason), malformed };
}

function parseNumber(type: string, value: unknown): LeafResult {
  let number: number;
  if (typeof value === "number") number = value;
  else if (typeof value === "string") {
    if (value === "") return OK; // ES indexes "" in a numeric field as null
    const trimmed = value.trim();
    number = trimmed === "" ? Number.NaN : Number(trimmed);
    if (Number.isNaN(number) && !/^[+-]?NaN$/.test(trimmed)) {
      // illegal_argument_exception on OpenSearch 2.19.6 and Elasticsearch 8.19.8 alike.
      return bad("illegal_argument_exception", `For input string: "${value}"`);
    }
  } else {
    return bad(
      "illegal_argument_exception",
      `Current token (${tokenOf(value)}) not numeric, can not use numeric value accessors`,
    );
  }
  const range = INTEGER_RANGES[type];
  if (range) {
    if (!Number.isFinite(number) || number < range[0] || number > range[1]) {
      return bad(
        "illegal_argument_exception",
        `Value [${javaString(value)}] is out of range for ${range[2]}`,
      );
    }
    return OK;
  }
  if (!Number.isFinite(number)) {
    return bad(
      "illegal_argument_exception",
      `[${type}] supports only finite values, but got [${number}]`,
    );
  }
  return OK;
}

const D2 = "\\d{2}";
const ISO_DATE = `\\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\\d|3[01]))?)?`;
const ISO_TIME = `(?:[01]\\d|2[0-3])(?::[0-5]\\d(?::[0-5]\\d(?:[.,]\\d{1,9})?)?)?`;
const ZONE = `(?:Z|[+-]${D2}(?::?${D2})?)`;
const OPTIONAL_TIME = new RegExp(`^${ISO_DATE}(?:T${ISO_TIME}${ZONE}?)?${ZONE}?$`);
const DATE_TIME = new RegExp(`^\\d{4}-${D2}-${D2}T${D2}:${D2}:${D2}\\.\\d{3,9}${ZONE}$`);
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const SLASHED = /^\d{4}\/\d{2}\/\d{2}( \d{2}:\d{2}:\d{2})?( [+-]\d{4}| Z)?$/;

/** A Java DateTimeFormatter pattern made into a regular expression, well enough for tests. */
function patternRegex(pattern: string): RegExp {
  let out = "";
  for (const part of pattern.match(/'[^']*'|([A-Za-z])\1*|[^A-Za-z']+/g) ?? []) {
    if (part.startsWith("'")) out += part.slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (/^[XZx]+$/.test(part)) out += ZONE;
    else if (/^[A-Za-z]+$/.test(part))
      out += part.length > 3 && /M/.test(part) ? "[A-Za-z]+" : `\\d{1,${Math.max(part.length, 4)}}`;
    else out += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function matchesFormat(format: string, value: string | number): boolean {
  const text = String(value);
  switch (format) {
    case "epoch_millis":
    case "epoch_second":
      return /^-?\d+(\.\d+)?$/.test(text);
    case "strict_date_optional_time":
    case "date_optional_time":
    case "strict_date_optional_time_nanos":
    case "iso8601":
      return (
        typeof value === "string" &&
        OPTIONAL_TIME.test(text) &&
        !Number.isNaN(Date.parse(text.length === 4 ? `${text}-01-01` : text.replace(",", ".")))
      );
    case "strict_date_time":
    case "date_time":
      return typeof value === "string" && DATE_TIME.test(text);
    case "strict_date":
    case "date":
    case "yyyy-MM-dd":
      return typeof value === "string" && DATE_ONLY.test(text);
    default:
      return typeof value === "string" && patternRegex(format).test(text);
  }
}

export const DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis";

/** Date detection: what a new string field must look like to be mapped as a date. */
export function looksLikeDate(value: string): boolean {
  return (OPTIONAL_TIME.test(value) && /^\d{4}-\d{2}-\d{2}/.test(value)) || SLASHED.test(value);
}

function parseDate(node: Json, value: unknown): LeafResult {
  const format = typeof node.format === "string" ? node.format : DEFAULT_DATE_FORMAT;
  if (typeof value === "string" || typeof value === "number") {
    if (format.split("||").some((one) => matchesFormat(one.trim(), value))) return OK;
  }
  return bad(
    "illegal_argument_exception",
    `failed to parse date field [${javaString(value)}] with format [${format}]`,
  );
}

function parseGeoPoint(path: string, value: unknown): LeafResult {
  const check = (lat: unknown, lon: unknown): LeafResult => {
    const la = typeof lat === "string" ? Number(lat) : lat;
    const lo = typeof lon === "string" ? Number(lon) : lon;
    if (typeof la !== "number" || Number.isNaN(la))
      return bad("parse_exception", "latitude must be a number");
    if (typeof lo !== "number" || Number.isNaN(lo))
      return bad("parse_exception", "longitude must be a number");
    // Java prints the double: 91.0, not 91.
    const double = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));
    if (la < -90 || la > 90)
      return bad(
        "illegal_argument_exception",
        `illegal latitude value [${double(la)}] for ${path}`,
      );
    if (lo < -180 || lo > 180)
      return bad(
        "illegal_argument_exception",
        `illegal longitude value [${double(lo)}] for ${path}`,
      );
    return OK;
  };
  if (Array.isArray(value)) {
    if (value.length >= 2 && value.length <= 3) return check(value[1], value[0]);
    return bad("parse_exception", "geo_point expected");
  }
  if (value !== null && typeof value === "object") {
    const point = value as Json;
    if (!("lat" in point)) return bad("parse_exception", "field [lat] missing");
    if (!("lon" in point)) return bad("parse_exception", "field [lon] missing");
    return check(point.lat, point.lon);
  }
  if (typeof value === "string") {
    const parts = value.split(",");
    if (parts.length === 2) return check(parts[0]?.trim(), parts[1]?.trim());
    const wkt = /^POINT\s*\(\s*(\S+)\s+(\S+)\s*\)$/i.exec(value);
    if (wkt) return check(wkt[2], wkt[1]);
    if (/^[0-9b-hjkmnp-z]{1,12}$/.test(value)) return OK; // a geohash
    return bad("illegal_argument_exception", `unsupported symbol in geohash [${value}]`);
  }
  return bad("parse_exception", "geo_point expected");
}

/**
 * Parses one value (never an array: the walker splits them) for a field of `type`. `column` is
 * where the value starts, for the "Can't get text on a START_OBJECT at 1:N" cause.
 */
export function parseLeaf(
  type: string,
  node: Json,
  path: string,
  value: unknown,
  column: number,
): LeafResult {
  const isObject = value !== null && typeof value === "object";
  if (STRING_TYPES.has(type)) {
    if (!isObject) return OK;
    return bad(
      "illegal_state_exception",
      `Can't get text on a ${tokenOf(value)} at 1:${column}`,
      false,
    );
  }
  if (type === "constant_keyword") {
    if (isObject)
      return bad(
        "illegal_state_exception",
        `Can't get text on a ${tokenOf(value)} at 1:${column}`,
        false,
      );
    const text = String(value);
    if (node.value === undefined) return { ok: true, constant: text };
    if (String(node.value) === text) return OK;
    return bad(
      "illegal_argument_exception",
      `[constant_keyword] field [${path}] only accepts values that are equal to the value defined in the mappings [${String(node.value)}], but got [${text}]`,
      false,
    );
  }
  if (type in INTEGER_RANGES || FLOAT_TYPES.has(type)) return parseNumber(type, value);
  switch (type) {
    case "date":
    case "date_nanos":
      return parseDate(node, value);
    case "boolean":
      if (
        value === true ||
        value === false ||
        value === "true" ||
        value === "false" ||
        value === ""
      )
        return OK;
      return bad(
        "illegal_argument_exception",
        `Failed to parse value [${javaString(value)}] as only [true] or [false] are allowed.`,
      );
    case "ip":
      if (typeof value === "string" && isIP(value) !== 0) return OK;
      return bad(
        "illegal_argument_exception",
        `'${javaString(value)}' is not an IP string literal.`,
      );
    case "geo_point":
      return parseGeoPoint(path, value);
    default:
      return OK;
  }
}

/** How deep a flattened value nests (an object at the top counts as 1). */
export function nestingDepth(value: unknown): number {
  if (Array.isArray(value)) return Math.max(0, ...value.map(nestingDepth));
  if (value === null || typeof value !== "object") return 0;
  return 1 + Math.max(0, ...Object.values(value as Json).map(nestingDepth));
}
