// Auth0 events as varied as real tenants send them, for every check that no event is refused for
// its shape: one realistic event with every known field, and seeded random variations of it
// (details whose JSON types differ, fields that are objects in one event and strings in another,
// location_info with string coordinates, every log type and unknown ones).

import type { LogEvent } from "../../src/interfaces.ts";
import { logTypes } from "../../src/pipeline/log-types.ts";

export const LOG_ID = `90020260501123457${"0".repeat(38)}1`;

export const realistic = (): LogEvent => ({
  _id: LOG_ID,
  log_id: LOG_ID,
  date: "2026-05-01T12:34:56.789Z",
  type: "s",
  description: "Successful login",
  connection: "Username-Password-Authentication",
  connection_id: "con_8XvLw2",
  client_id: "AaBbCcDd",
  client_name: "Shop",
  ip: "203.0.113.7",
  client_ip: "2001:db8::1",
  user_agent: "Chrome 134.0.0 / Windows 10.0.0",
  hostname: "shop.eu.auth0.com",
  user_id: "auth0|64f1c2",
  user_name: "jane@example.com",
  strategy: "auth0",
  strategy_type: "database",
  audience: "https://api.shop.example",
  scope: ["openid", "profile"],
  isMobile: false,
  tenant_name: "shop",
  organization_id: "org_9aZ",
  organization_name: "acme",
  location_info: {
    country_code: "FR",
    country_code3: "FRA",
    country_name: "France",
    city_name: "Paris",
    latitude: "48.8566",
    longitude: "2.3522",
    time_zone: "Europe/Paris",
    continent_code: "EU",
    subdivision_code: "IDF",
    subdivision_name: "Île-de-France",
  },
  details: {
    prompts: [{ name: "login", identity: 12345, stats: { loginsCount: 3 }, elapsedTime: 120 }],
    initiatedAt: 1777638896000,
    completedAt: 1777638896120,
    session_id: "s_1",
    request: { method: "post", body: { tenant: "shop", form: { remember: true, tags: [1, "x"] } } },
  },
  security_context: { ja3: "771,4865", ja4: "t13d1516h2" },
  $event_schema: { version: "1.0.0" },
});

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function variations(count: number): LogEvent[] {
  const r = random(20260501);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
  const key = () =>
    pick(["x", "value", "identity", "body", "id", "prompts", "_meta"]) + pick(["", "1", "_a"]);
  const anything = (level: number): unknown => {
    switch (Math.floor(r() * (level > 3 ? 4 : 7))) {
      case 0:
        return Math.floor(r() * 1e6);
      case 1:
        return pick(["", "text", "2026-05-01", "true", "x".repeat(300)]);
      case 2:
        return r() < 0.5;
      case 3:
        return null;
      case 4:
        return Object.fromEntries(
          Array.from({ length: 1 + Math.floor(r() * 3) }, () => [key(), anything(level + 1)]),
        );
      case 5:
        return Array.from({ length: Math.floor(r() * 3) }, () => anything(level + 1));
      default:
        return [{ [key()]: anything(level + 1) }, { [key()]: anything(level + 1) }];
    }
  };
  const codes = [...logTypes.keys(), "zz_new", undefined];
  return Array.from({ length: count }, () => {
    const event = realistic() as LogEvent & { details: Record<string, unknown> };
    event.type = pick(codes);
    event.details.prompts = [{ name: "login", identity: pick([42, "42", { id: 42 }, [42]]) }];
    event.details.request = { body: pick([{ a: 1 }, "a=1", [1, 2], 3, null]) };
    for (let i = Math.floor(r() * 5); i > 0; i--) event.details[key()] = anything(1);
    for (let i = Math.floor(r() * 3); i > 0; i--) event[`new_${key()}`] = anything(1);
    event.scope = pick([["openid"], "openid profile", []]);
    event.isMobile = pick([true, "false", 0]);
    event.ip = pick(["203.0.113.9", "::1", "not-an-ip", "", 42]);
    event.client_ip = pick([undefined, "10.0.0.1", "unknown"]);
    (event as Record<string, unknown>).date = pick([event.date, "yesterday", 12345]);
    event.user_name = pick(["jane@example.com", "jane", "+33123456789", 7]);
    event.location_info = pick([
      undefined,
      { latitude: pick(["48.1", 48.1, "", "north", null, 200]), longitude: pick(["2.3", 2.3]) },
    ]);
    if (r() < 0.2) event.security_context = { [key()]: anything(1) };
    return JSON.parse(JSON.stringify(event)) as LogEvent;
  });
}

/**
 * Events for a simulated tenant (`tenant.addEvent`, which gives each its own id): one of each of
 * the 185 log types, then `count` random variations.
 */
export function tenantEvents(count: number): Partial<LogEvent>[] {
  const all = [
    ...[...logTypes.keys()].map((type) => ({ ...realistic(), type })),
    ...variations(count),
  ];
  return all.map(({ _id, log_id, ...event }) => event);
}
