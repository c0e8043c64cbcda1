// A tenant's log, stored compactly so that a simulator can hold a million events: event i has the
// id "900" + its indexing time (UTC, to the second) + i+1 on 39 digits, which keeps ids strictly
// increasing; its body is generated from i on demand unless a custom event was stored for it.

import type { LogEvent } from "../src/interfaces.ts";

const SAMPLES: { type: string; description: string; weight: number }[] = [
  { type: "s", description: "Successful login", weight: 40 },
  {
    type: "seacft",
    description: "Successful exchange of Authorization Code for Access Token",
    weight: 12,
  },
  { type: "sapi", description: "Update a client", weight: 3 },
  { type: "f", description: "Wrong email or password.", weight: 8 },
  { type: "fp", description: "Wrong password", weight: 5 },
  { type: "fu", description: "Invalid username or email", weight: 3 },
  { type: "slo", description: "Successful logout", weight: 8 },
  { type: "ss", description: "Successful signup", weight: 4 },
  { type: "fs", description: "Password is too weak", weight: 1 },
  { type: "limit_wc", description: "Blocked IP address due to too many failed logins", weight: 1 },
  { type: "gd_auth_succeed", description: "MFA authentication succeeded", weight: 5 },
  { type: "sepft", description: "Successful exchange of Password for Access Token", weight: 5 },
  {
    type: "mgmt_api_read",
    description: "API GET operation returning secrets completed successfully",
    weight: 2,
  },
  { type: "fcoa", description: "Failed cross-origin authentication", weight: 3 },
];
const WHEEL: number[] = SAMPLES.flatMap((sample, index) => Array(sample.weight).fill(index));
const AGENTS = [
  "Chrome 134.0.0 / Windows 10.0.0",
  "Safari 18.1.0 / Mac OS X 14.5.0",
  "Firefox 133.0.0 / Linux 0.0.0",
  "Mobile Safari 18.0.0 / iOS 18.0.0",
];
const CLIENTS = [
  { id: "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY", name: "Web App" },
  { id: "Zy9xW7vU5tS3rQ1pO9nM7lK5jI3hG1fE", name: "Mobile App" },
];

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

export function logId(index: number, timeMs: number): string {
  return `900${stamp(timeMs)}${String(index + 1).padStart(39, "0")}`;
}

export function indexOfId(id: string): number {
  return Number(id.slice(17)) - 1;
}

/**
 * The `details` real tenants send differ in shape from one event to the next: a prompt's identity
 * is a number here and a string there, a request body an object or a string, and free-form keys
 * come and go. Indexed with dynamic mapping, such events conflict (the first type seen wins) and
 * pile up fields past a cluster's 1 000-field limit: the cases the Elasticsearch sink must survive.
 */
function variedDetails(index: number, details: Record<string, unknown>): Record<string, unknown> {
  if (index % 5 === 0) {
    details.prompts = [{ name: "login", identity: index % 10 === 0 ? 4321 : `user-${index}` }];
  }
  if (index % 7 === 0) {
    details.request = {
      method: "POST",
      body: index % 14 === 0 ? { grant_type: "password", client_id: "c" } : "grant_type=password",
    };
  }
  if (index % 3 === 0) details[`custom_${index % 1600}`] = index % 2 === 0 ? index : `v${index}`;
  return details;
}

export function generateEvent(
  index: number,
  timeMs: number,
  tenant: string,
  varied = false,
): LogEvent {
  const id = logId(index, timeMs);
  const sample = SAMPLES[
    WHEEL[(index * 2654435761) % WHEEL.length] as number
  ] as (typeof SAMPLES)[number];
  const client = CLIENTS[index % CLIENTS.length] as (typeof CLIENTS)[number];
  const user = index % 997;
  // `date` is when the event happened; the id carries when it was indexed, a little later.
  return {
    _id: id,
    log_id: id,
    date: new Date(timeMs - (index % 7) * 13).toISOString(),
    type: sample.type,
    description: sample.description,
    connection: "Username-Password-Authentication",
    connection_id: "con_0123456789abcdef",
    client_id: client.id,
    client_name: client.name,
    ip: `203.0.113.${user % 250}`,
    user_agent: AGENTS[index % AGENTS.length],
    user_id: `auth0|${String(user).padStart(24, "0")}`,
    user_name: `user${user}@example.com`,
    hostname: `${tenant}.eu.auth0.com`,
    details: ((details) => (varied ? variedDetails(index, details) : details))({
      prompts: [],
      completedAt: timeMs,
      elapsedTime: 100 + (index % 400),
      session_id: `s${index}`,
    }),
    location_info: { country_code: "DE", city_name: "Berlin", time_zone: "Europe/Berlin" },
    $event_schema: { version: "1.0.0" },
    tenant_name: tenant,
  };
}

export class EventLog {
  private readonly times: number[] = [];
  private readonly added: number[] = [];
  private readonly custom = new Map<number, LogEvent>();
  private readonly appended = new Set<(index: number) => void>();
  private readonly tenant: string;
  private readonly varied: boolean;

  constructor(tenant: string, varied = false) {
    this.tenant = tenant;
    this.varied = varied;
  }

  get size(): number {
    return this.times.length;
  }

  /** Appends an event indexed at `timeMs` (never before the previous one); returns its id. */
  append(timeMs: number, custom?: Partial<LogEvent>): string {
    const index = this.times.length;
    const last = this.times[index - 1] ?? 0;
    const time = Math.max(timeMs, last);
    this.times.push(time);
    this.added.push(Date.now());
    const id = logId(index, time);
    if (custom) this.custom.set(index, { log_id: id, _id: id, ...custom } as LogEvent);
    for (const listener of this.appended) listener(index);
    return id;
  }

  /**
   * Calls `listener` with the index of each event appended from now on (a stream pusher's
   * source: it reads the event by its index when it sends it). Returns the unsubscribe.
   */
  onAppend(listener: (index: number) => void): () => void {
    this.appended.add(listener);
    return () => this.appended.delete(listener);
  }

  idAt(index: number): string {
    return logId(index, this.times[index] as number);
  }

  eventAt(index: number): LogEvent {
    return (
      this.custom.get(index) ??
      generateEvent(index, this.times[index] as number, this.tenant, this.varied)
    );
  }

  /** The index of the first event with an id greater than `from`. */
  firstAfter(from: string): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.idAt(mid) <= from) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  addedAt(id: string): number | undefined {
    return this.added[indexOfId(id)];
  }
}
