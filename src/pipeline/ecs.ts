// An Auth0 event as an Elastic Common Schema (ECS 9) document, the shape Kibana's Security app,
// Elastic's detection rules and OpenSearch Security Analytics read without any mapping of ours.
// The ECS fields are derived; the event itself stays whole, as Auth0 sent it, under
// auth0.logs.data, verbatim (the field Elastic's Auth0 integration uses, but Elastic rewrites what it
// keeps there: docs/ecs.md), so nothing is lost to the translation.
//
// It runs on every event: it builds a few small objects per document and never copies the
// event deeply. The event is owned by the caller and used by nobody else, so the document keeps
// references into it (details, location_info…), and the classification arrays are shared and
// frozen. Documents are plain JSON: no undefined, no null, no empty arrays, no Dates.

import { isIP } from "node:net";
import { timeOfCheckpoint } from "../auth0/checkpoint.ts";
import type { LogEvent } from "../interfaces.ts";
import { classify, ECS_VERSION } from "./ecs-types.ts";
import { LEVELS, levelOf } from "./log-types.ts";

export interface EcsOptions {
  /** data_stream.dataset and event.dataset, e.g. "auth0.export". */
  dataset: string;
  /** data_stream.namespace, e.g. "default". */
  namespace: string;
  /** The last-resort @timestamp, for an event with neither a valid date nor a valid log_id. */
  now?: () => Date;
}

type Doc = Record<string, unknown>;

const ECS = Object.freeze({ version: ECS_VERSION });
// Loose on purpose: Auth0's user_name is an e-mail address for database and most social users,
// a username or a phone number otherwise. This only has to tell which.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/** Auth0's own form, already what @timestamp wants: kept as it is, without a round trip. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** ISO 8601 of a date Auth0 sent, or of the time embedded in log_id, or of now. */
function timestamp(event: LogEvent, now: () => Date): string {
  const date = event.date;
  if (typeof date === "string") {
    if (CANONICAL.test(date)) return date;
    const ms = Date.parse(date);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  const indexed = typeof event.log_id === "string" ? timeOfCheckpoint(event.log_id) : null;
  return (indexed ?? now()).toISOString();
}

/** A latitude or longitude: Auth0 sends numbers, or strings in older API versions. */
function coordinate(value: unknown, limit: number): number | undefined {
  const n =
    typeof value === "number" ? value : typeof value === "string" && value.trim() ? +value : NaN;
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

function geo(location: unknown): Doc | undefined {
  if (typeof location !== "object" || location === null || Array.isArray(location)) return;
  const l = location as Doc;
  const g: Doc = {};
  let any = false;
  const put = (field: string, value: unknown) => {
    const v = text(value);
    if (v !== undefined) {
      g[field] = v;
      any = true;
    }
  };
  put("city_name", l.city_name);
  put("continent_code", l.continent_code);
  put("country_iso_code", l.country_code);
  put("country_name", l.country_name);
  put("region_name", l.subdivision_name);
  put("timezone", l.time_zone);
  const lat = coordinate(l.latitude, 90);
  const lon = coordinate(l.longitude, 180);
  if (lat !== undefined && lon !== undefined) {
    g.location = { lat, lon };
    any = true;
  }
  return any ? g : undefined;
}

export function ecsDocument(event: LogEvent, options: EcsOptions): Doc {
  return shapeOne(event, options, options.now ?? (() => new Date()));
}

export function makeEcsShaper(options: EcsOptions): (events: LogEvent[]) => Doc[] {
  const now = options.now ?? (() => new Date());
  return (events) => events.map((event) => shapeOne(event, options, now));
}

function shapeOne(event: LogEvent, options: EcsOptions, now: () => Date): Doc {
  const code = text(event.type);
  const c = classify(code);
  const doc: Doc = { "@timestamp": timestamp(event, now) };
  const message = text(event.description);
  if (message !== undefined) doc.message = message;
  doc.ecs = ECS;

  const ev: Doc = { kind: "event" };
  if (c.category.length > 0) ev.category = c.category;
  ev.type = c.type;
  ev.action = c.action;
  ev.outcome = c.outcome;
  const id = text(event.log_id);
  if (id !== undefined) ev.id = id;
  if (code !== undefined) ev.code = code;
  ev.dataset = options.dataset;
  ev.module = "auth0";
  doc.event = ev;

  const level = levelOf(code);
  if (level !== undefined) doc.log = { level: LEVELS[level] };

  const ip = text(event.ip);
  const ipVersion = ip === undefined ? 0 : isIP(ip);
  const clientIp = text(event.client_ip);
  const clientVersion = clientIp === undefined ? 0 : isIP(clientIp);
  const location = geo(event.location_info);
  if (ipVersion !== 0 || location !== undefined) {
    const source: Doc = {};
    if (ipVersion !== 0) source.ip = ip;
    if (location !== undefined) source.geo = location;
    doc.source = source;
  }
  // The network client that called Auth0 (a backend exchanging a token, say). Auth0
  // *applications* (client_id, client_name) are not ECS clients: they stay under auth0.logs.data.
  if (clientVersion !== 0) doc.client = { ip: clientIp };
  if (ipVersion !== 0) doc.network = { type: ipVersion === 4 ? "ipv4" : "ipv6" };

  const userId = text(event.user_id);
  const userName = text(event.user_name);
  if (userId !== undefined || userName !== undefined) {
    const user: Doc = {};
    if (userId !== undefined) user.id = userId;
    if (userName !== undefined) {
      user.name = userName;
      if (EMAIL.test(userName)) user.email = userName;
    }
    doc.user = user;
  }
  const agent = text(event.user_agent);
  if (agent !== undefined) doc.user_agent = { original: agent };
  const orgId = text(event.organization_id);
  const orgName = text(event.organization_name);
  if (orgId !== undefined || orgName !== undefined) {
    const organization: Doc = {};
    if (orgId !== undefined) organization.id = orgId;
    if (orgName !== undefined) organization.name = orgName;
    doc.organization = organization;
  }

  const related: Doc = {};
  if (ipVersion !== 0 || clientVersion !== 0) {
    related.ip =
      ipVersion === 0 ? [clientIp] : clientVersion === 0 || clientIp === ip ? [ip] : [ip, clientIp];
  }
  if (userId !== undefined || userName !== undefined) {
    related.user =
      userId === undefined
        ? [userName]
        : userName === undefined || userName === userId
          ? [userId]
          : [userId, userName];
  }
  if (related.ip !== undefined || related.user !== undefined) doc.related = related;

  doc.data_stream = { type: "logs", dataset: options.dataset, namespace: options.namespace };
  doc.auth0 = { logs: { data: withoutId(event) } };
  return doc;
}

/**
 * The event as sent, but for `_id`: Elasticsearch refuses a source field of that name (its value
 * is log_id, which is kept). The pipeline owns the event (freshly parsed, used by nobody else), so
 * the field is cleared in place, as shape.ts does: undefined is left out by JSON.stringify, and a
 * copy of every event would cost more than the rest of the shaping.
 */
function withoutId(event: LogEvent): Doc {
  if (event._id !== undefined) event._id = undefined;
  return event;
}
