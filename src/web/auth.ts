// Dashboard sign-in: one user, a password known only by its scrypt hash, sessions with expiry and
// a CSRF token each, and a limit on failed sign-ins per client address.

import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type { Store } from "../interfaces.ts";

const PASSWORD_HASH = "dashboard_password_hash";
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 5 * 60_000;

export function hashPassword(password: string, salt = randomBytes(16)): string {
  return `scrypt:${salt.toString("base64")}:${scryptSync(password, salt, 32).toString("base64")}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [kind, salt, hash] = stored.split(":");
  if (kind !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = scryptSync(password, Buffer.from(salt, "base64"), expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * The hash to check sign-ins against. With DASHBOARD_PASSWORD set, its hash; otherwise the stored
 * hash of a password generated at the first start, which is returned once so it can be printed.
 */
export async function dashboardPassword(
  store: Store,
  configured: string | undefined,
): Promise<{ hash: string; generated: string | null }> {
  if (configured !== undefined) return { hash: hashPassword(configured), generated: null };
  const stored = await store.getJob(PASSWORD_HASH);
  if (stored) return { hash: stored, generated: null };
  const generated = randomBytes(18).toString("base64url");
  const hash = hashPassword(generated);
  await store.setJob(PASSWORD_HASH, hash);
  return { hash, generated };
}

export interface Session {
  user: string;
  csrf: string;
  expiresAt: number;
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, number[]>();
  private readonly ttlMs: number;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  create(user: string): { id: string; session: Session } {
    const id = randomBytes(32).toString("base64url");
    const session = {
      user,
      csrf: randomBytes(24).toString("base64url"),
      expiresAt: Date.now() + this.ttlMs,
    };
    this.sessions.set(id, session);
    return { id, session };
  }

  get(id: string | undefined): Session | null {
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Seconds to wait before this client may try again, or 0. */
  blockedFor(client: string): number {
    const now = Date.now();
    const recent = (this.failures.get(client) ?? []).filter((at) => now - at < FAILURE_WINDOW_MS);
    this.failures.set(client, recent);
    if (recent.length < MAX_FAILURES) return 0;
    return Math.ceil(((recent[0] as number) + FAILURE_WINDOW_MS - now) / 1000);
  }

  failed(client: string): void {
    this.failures.set(client, [...(this.failures.get(client) ?? []), Date.now()]);
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }
}
