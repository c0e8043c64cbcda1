// Dashboard sign-in: one user, a password known only by its scrypt hash, sessions with expiry and a
// CSRF token each. Guessing is slowed per client address and per (address, user name)
// (sign-in-limiter.ts): each attempt is counted before its password is checked, so that a burst
// sent at once is refused past the first few, and checks run on the thread pool, a few at a time,
// so that guesses never hold up the service.

import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from "node:crypto";
import type { ProcessState } from "../interfaces.ts";
import { setLongTimeout } from "../util/timers.ts";

export { type Attempt, SignInLimiter } from "./sign-in-limiter.ts";

const PASSWORD_HASH = "dashboard_password_hash";

export function hashPassword(password: string, salt = randomBytes(16)): string {
  return `scrypt:${salt.toString("base64")}:${scryptSync(password, salt, 32).toString("base64")}`;
}

function scryptAsync(password: string, salt: Buffer, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, length, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, salt, hash] = stored.split(":");
  if (kind !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length);
  return timingSafeEqual(actual, expected);
}

/** Compares without leaking, through timing, how much of the user name was right. */
function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Checks credentials a few at a time; a burst beyond the queue is refused ("busy") rather than
 * queued without end. A wrong user name costs the same scrypt as a wrong password, so the answer
 * time does not tell which of the two was wrong.
 */
export class Verifier {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Passwords checked so far (tests count them). */
  checked = 0;
  private readonly user: string;
  private readonly hash: string;
  private readonly concurrency: number;
  private readonly queue: number;

  constructor(user: string, hash: string, options: { concurrency?: number; queue?: number } = {}) {
    this.user = user;
    this.hash = hash;
    this.concurrency = options.concurrency ?? 2;
    this.queue = options.queue ?? 8;
  }

  /**
   * Whether a check asked for now would be run or queued. Asked before an attempt is counted, so
   * that a sign-in refused as busy leaves no trace; nothing is awaited between the two.
   */
  hasRoom(): boolean {
    return this.running < this.concurrency || this.waiting.length < this.queue;
  }

  /** True or false, or "busy" when too many checks are already waiting. */
  async verify(user: string, password: string): Promise<boolean | "busy"> {
    if (this.running >= this.concurrency) {
      if (!this.hasRoom()) return "busy";
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      this.checked++;
      const passwordOk = await verifyPassword(password, this.hash);
      return sameText(user, this.user) && passwordOk;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * The hash to check sign-ins against. With DASHBOARD_PASSWORD set, its hash; otherwise the stored
 * hash of a password generated at the first start, which is returned once so it can be printed.
 * Replicas starting together may both generate one: the stored one wins, and only the replica
 * whose password was stored prints it.
 */
export async function dashboardPassword(
  store: ProcessState,
  configured: string | undefined,
): Promise<{ hash: string; generated: string | null }> {
  if (configured !== undefined) return { hash: hashPassword(configured), generated: null };
  const stored = await store.get(PASSWORD_HASH);
  if (stored) return { hash: stored, generated: null };
  const generated = randomBytes(18).toString("base64url");
  const hash = hashPassword(generated);
  await store.setIfAbsent(PASSWORD_HASH, hash);
  const kept = (await store.get(PASSWORD_HASH)) ?? hash;
  return { hash: kept, generated: kept === hash ? generated : null };
}

export interface Session {
  user: string;
  csrf: string;
  expiresAt: number;
}

/** The session id is the secret the browser holds; the store keeps only its hash. */
function hashOf(id: string): string {
  return createHash("sha256").update(id).digest("base64url");
}

/**
 * Signed-in sessions, kept in the store so that any replica serves them. Streams held open by
 * this process (the live logs) are told when a session ends here, and look again at each ping.
 */
export class Sessions {
  private readonly store: ProcessState;
  private readonly endListeners = new Map<string, Set<() => void>>();
  private readonly ttlMs: number;

  constructor(ttlMs: number, store: ProcessState) {
    this.ttlMs = ttlMs;
    this.store = store;
  }

  async create(user: string): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString("base64url");
    const session = {
      user,
      csrf: randomBytes(24).toString("base64url"),
      expiresAt: Date.now() + this.ttlMs,
    };
    await this.store.putSession(hashOf(id), session);
    return { id, session };
  }

  async get(id: string | undefined): Promise<Session | null> {
    if (!id || id.length > 200) return null;
    const session = await this.store.getSession(hashOf(id));
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      await this.destroy(id);
      return null;
    }
    return session;
  }

  async destroy(id: string | undefined): Promise<void> {
    if (!id || id.length > 200) return;
    await this.store.deleteSession(hashOf(id));
    const listeners = this.endListeners.get(id);
    this.endListeners.delete(id);
    for (const listener of listeners ?? []) listener();
  }

  /**
   * Calls `listener` once when the session ends here: signed out, or expired (a timer, so that a
   * long-lived stream closes even if no request comes). Returns a function that stops listening.
   */
  onEnd(id: string, session: Session, listener: () => void): () => void {
    const listeners = this.endListeners.get(id) ?? new Set();
    this.endListeners.set(id, listeners);
    listeners.add(listener);
    const timer = setLongTimeout(
      () => void this.get(id).catch(() => {}),
      session.expiresAt - Date.now() + 5,
      {
        unref: true,
      },
    );
    return () => {
      timer.cancel();
      listeners.delete(listener);
    };
  }
}
