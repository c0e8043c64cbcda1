// How many sign-ins a client may try, in bounded memory that an attacker cannot use to erase a
// penalty.
//
// Attempts are counted at two levels. Per (client address, user name), so that the admin's name
// gets 5 free tries from an address before waits begin, and a guesser of other names does not hold
// the admin. And per client address across all names: counting per pair only let one address try
// any number of names, each a fresh key with free tries, which both filled the verification queue
// (every other sign-in answered 503) and, past the table's size, evicted the oldest penalty, the
// real one included. IPv6 addresses count per /64, since one host is given a whole /64.
//
// Memory: at most `capacity` addresses, each with at most 8 user names. When the table is full, an
// address that is quiet (expired, or below every threshold) makes room, least recently active
// first; a live penalty is never forgotten. When every entry is a live penalty, new addresses share
// one count of their own (the overflow): they are held together, never let through uncounted.
//
// Many addresses (a botnet): each address has its own count, so N addresses get about 5 × N tries
// at the admin's name, then one a minute each. One count over all addresses would stop that, but
// would let the same botnet lock the admin out for good; against many addresses the defence is the
// password (a generated one has 144 bits), and the bounded verification queue keeps the service up.
// A botnet of thousands of addresses can still keep the queue full (503 for every sign-in while it
// lasts); only a network allowlist in front of the dashboard stops that.

import { isIP } from "node:net";

/** Failures allowed before waits begin: per (address, user), and per address over all users. */
const PAIR_FREE = 5;
const ADDRESS_FREE = 20;
/** The wait doubles from 1 s after that, up to this. */
const MAX_WAIT_MS = 60_000;
/** An entry idle this long is forgotten. */
const FORGET_MS = 15 * 60_000;
/** Checks one address may have running or queued at once: a few addresses cannot fill the queue. */
const IN_FLIGHT_PER_ADDRESS = 2;
/** User names remembered per address; the address's own count holds whatever falls out. */
const USERS_PER_ADDRESS = 8;
/** Addresses looked at to make room for a new one: bounded work per sign-in, even when full. */
const LOOK_AT = 16;
const CAPACITY = 4096;

interface Count {
  failures: number;
  lastAt: number;
}

interface Source extends Count {
  /** Its key in the table; null for the overflow. */
  key: string | null;
  inFlight: number;
  /** By user name, least recently tried first. */
  users: Map<string, Count>;
}

/** An attempt let through: end it with `end` whatever the outcome. */
export interface Attempt {
  readonly source: Source;
  readonly user: string;
}

function waitFor(count: Count, free: number, now: number): number {
  if (count.failures < free) return 0;
  const wait = Math.min(MAX_WAIT_MS, 1000 * 2 ** (count.failures - free));
  return Math.max(0, count.lastAt + wait - now);
}

function expired(count: Count, now: number): boolean {
  return now - count.lastAt > FORGET_MS;
}

/** A count that still holds someone back, now or at the next failure. */
function livePenalty(count: Count, free: number, now: number): boolean {
  return count.failures >= free && !expired(count, now);
}

function penalized(source: Source, now: number): boolean {
  if (livePenalty(source, ADDRESS_FREE, now)) return true;
  for (const user of source.users.values()) if (livePenalty(user, PAIR_FREE, now)) return true;
  return false;
}

function newSource(key: string | null): Source {
  return { key, failures: 0, lastAt: 0, inFlight: 0, users: new Map() };
}

/** The first four groups of an IPv6 address (its /64); any other address as it is. */
export function sourceOf(address: string): string {
  const plain = address.split("%")[0] as string;
  if (isIP(plain) !== 6) return address;
  // An embedded IPv4 address is the last 32 bits: two groups, never part of the /64.
  const text = plain.replace(/\d+\.\d+\.\d+\.\d+$/, "0:0");
  const [head = "", tail] = text.split("::");
  const front = head === "" ? [] : head.split(":");
  const back = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...front, ...Array(8 - front.length - back.length).fill("0"), ...back];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

export class SignInLimiter {
  /** By address, least recently active first. */
  private readonly sources = new Map<string, Source>();
  private readonly overflow = newSource(null);
  private readonly now: () => number;
  private readonly capacity: number;

  constructor(options: { now?: () => number; capacity?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.capacity = options.capacity ?? CAPACITY;
  }

  /** Entries held (addresses and their user names), for tests: at most capacity × 9, plus 9. */
  get size(): number {
    let size = 1 + this.overflow.users.size;
    for (const source of this.sources.values()) size += 1 + source.users.size;
    return size;
  }

  /**
   * Counts an attempt before its password is checked: it counts as a failure until `end` says it
   * succeeded. Returns the attempt, or the seconds to wait when it may not be tried now.
   */
  begin(address: string, user: string): Attempt | number {
    const now = this.now();
    const source = this.sourceFor(sourceOf(address), now);
    const name = user.slice(0, 64).toLowerCase();
    const known = source.users.get(name);
    const pair = known && !expired(known, now) ? known : { failures: 0, lastAt: 0 };
    const wait = Math.max(waitFor(source, ADDRESS_FREE, now), waitFor(pair, PAIR_FREE, now));
    if (wait > 0) return Math.ceil(wait / 1000);
    if (source.inFlight >= IN_FLIGHT_PER_ADDRESS) return 1;
    if (!known && source.users.size >= USERS_PER_ADDRESS) forgetOneUser(source, now);
    source.users.delete(name);
    source.users.set(name, pair);
    pair.failures++;
    pair.lastAt = now;
    source.failures++;
    source.lastAt = now;
    source.inFlight++;
    return { source, user: name };
  }

  /** Ends an attempt from `begin`; a success forgets the user's failures and this one. */
  end(attempt: Attempt, succeeded: boolean): void {
    const { source } = attempt;
    source.inFlight = Math.max(0, source.inFlight - 1);
    if (!succeeded) return;
    source.users.delete(attempt.user);
    source.failures = Math.max(0, source.failures - 1);
    const empty = source.failures === 0 && source.users.size === 0 && source.inFlight === 0;
    if (empty && source.key !== null && this.sources.get(source.key) === source) {
      this.sources.delete(source.key);
    }
  }

  private sourceFor(key: string, now: number): Source {
    let source = this.sources.get(key);
    if (source) {
      this.sources.delete(key);
    } else {
      if (this.sources.size >= this.capacity && !this.makeRoom(now)) {
        return fresh(this.overflow, now);
      }
      source = newSource(key);
    }
    this.sources.set(key, source);
    return fresh(source, now);
  }

  /** Forgets one quiet address, least recently active first; false when none is quiet. */
  private makeRoom(now: number): boolean {
    let looked = 0;
    for (const [key, source] of this.sources) {
      if (source.inFlight === 0 && (expired(source, now) || !penalized(source, now))) {
        this.sources.delete(key);
        return true;
      }
      // A live penalty stays; it is looked at again after every other address.
      this.sources.delete(key);
      this.sources.set(key, source);
      if (++looked >= Math.min(LOOK_AT, this.capacity)) return false;
    }
    return false;
  }
}

/** A source idle past FORGET_MS starts over (its count and its user names). */
function fresh(source: Source, now: number): Source {
  if (source.lastAt !== 0 && expired(source, now) && source.inFlight === 0) {
    source.failures = 0;
    source.users.clear();
  }
  return source;
}

/**
 * Makes room for one more user name of this address: a quiet one first, otherwise the least
 * recently tried. The address's own count is kept, so forgetting a name does not buy tries: with
 * 8 names each held back, the address has failed at least 40 times and waits a minute per try.
 */
function forgetOneUser(source: Source, now: number): void {
  let victim: string | undefined;
  for (const [name, count] of source.users) {
    if (!livePenalty(count, PAIR_FREE, now)) {
      victim = name;
      break;
    }
    victim ??= name;
  }
  if (victim !== undefined) source.users.delete(victim);
}
