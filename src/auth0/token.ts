// Client-credentials tokens. Every token Auth0 issues writes a log event and counts against the
// tenant's machine-to-machine quota, so a token is cached in the store and reused across
// executions until shortly before it expires; only by the credentials that obtained it, so that a
// wrong or rotated secret fails at once rather than when the cached token runs out.

import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { SourceError } from "../errors.ts";
import type { CachedToken, TokenCache } from "../interfaces.ts";
import { parseBoundedJson } from "../util/bounded-json.ts";
import { excerpt, exchange, statusVerdict } from "../util/http.ts";
import { registerRotatingSecret } from "../util/secrets.ts";
import type { Dispatcher } from "../util/undici.ts";

export interface TokenSettings {
  origin: string;
  clientId: string;
  clientSecret: string;
}

/** The shortest token life believed: a shorter expires_in would mean a token per page. */
export const MIN_TOKEN_LIFE_S = 60;
/** The longest: Auth0 issues tokens for up to 30 days; 1e300 s is no date any store can keep. */
export const MAX_TOKEN_LIFE_S = 30 * 86_400;
/** Auth0's default, for an answer without a usable expires_in. */
const DEFAULT_TOKEN_LIFE_S = 86_400;

/** A token's life in seconds from expires_in, within MIN_TOKEN_LIFE_S..MAX_TOKEN_LIFE_S. */
export function tokenLifeSeconds(expiresIn: unknown): number {
  const seconds =
    typeof expiresIn === "string" && /^\d{1,12}(\.\d{1,6})?$/.test(expiresIn)
      ? Number(expiresIn)
      : expiresIn;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    return DEFAULT_TOKEN_LIFE_S;
  }
  return Math.min(MAX_TOKEN_LIFE_S, Math.max(MIN_TOKEN_LIFE_S, seconds));
}

/**
 * Stop using a token this long before it expires: at most 5 minutes, at most a tenth of its life.
 * Whole milliseconds, as the store keeps them.
 */
export function usableUntil(issuedAt: number, expiresInSeconds: number): number {
  const lifetime = expiresInSeconds * 1000;
  return Math.floor(issuedAt + lifetime - Math.min(300_000, lifetime / 10));
}

/**
 * scrypt's "interactive" cost (16 MiB, tens of milliseconds): paid once or twice per process, and
 * by anyone holding the store for each guess of a secret.
 */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const SCHEME = "scrypt1";

function derive(credentials: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(credentials, salt, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/**
 * A salted scrypt fingerprint of the credentials that obtained a token, stored with it: a cached
 * token is reused only by the same domain, client id and secret. Never the secret itself, and no
 * fast hash of it that would let someone with the store test guesses cheaply.
 */
export async function credentialsFingerprint(credentials: string, salt = randomBytes(16)) {
  const key = await derive(credentials, salt);
  return `${SCHEME}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether a stored fingerprint was made from these credentials; false for any other form. */
export async function fingerprintMatches(
  fingerprint: string,
  credentials: string,
): Promise<boolean> {
  const [scheme, salt, key, ...rest] = fingerprint.split("$");
  if (scheme !== SCHEME || !salt || !key || rest.length > 0) return false;
  const expected = Buffer.from(key, "base64url");
  if (expected.length !== 32) return false;
  return timingSafeEqual(await derive(credentials, Buffer.from(salt, "base64url")), expected);
}

/** The token cache's key: one token per tenant and client (the secret is in the fingerprint). */
export function tokenCacheKey(origin: string, clientId: string): string {
  return createHash("sha256").update(`${origin}\n${clientId}`).digest("hex");
}

export class TokenProvider {
  private readonly settings: TokenSettings;
  private readonly store: TokenCache;
  private readonly dispatcher: Dispatcher;
  private readonly key: string;
  /** Kept in memory too: the source lives across executions, the token until it is due. */
  private cached: CachedToken | null = null;
  /** The fingerprint stored with the tokens this provider obtains (one salt per provider). */
  private fingerprint: Promise<string> | null = null;
  /** Stored fingerprints already compared with this provider's credentials. */
  private readonly compared = new Map<string, Promise<boolean>>();

  constructor(settings: TokenSettings, store: TokenCache, dispatcher: Dispatcher) {
    this.settings = settings;
    this.store = store;
    this.dispatcher = dispatcher;
    this.key = tokenCacheKey(settings.origin, settings.clientId);
  }

  async get(signal?: AbortSignal): Promise<string> {
    if (this.cached && this.cached.expiresAt > Date.now()) return this.cached.accessToken;
    const stored = await this.store.get(this.key);
    if (stored && stored.expiresAt > Date.now() && (await this.obtainedByUs(stored))) {
      // Sent as "Bearer <token>": an upstream that echoes the header must not show it.
      registerRotatingSecret(this.key, stored.accessToken);
      this.cached = stored;
      return stored.accessToken;
    }
    return this.fetchNew(signal);
  }

  /** The domain, client id and secret configured: what a cached token must have been issued to. */
  private credentials(): string {
    const { origin, clientId, clientSecret } = this.settings;
    return JSON.stringify([origin, clientId, clientSecret]);
  }

  /** Whether a stored token was obtained with the credentials configured now. */
  private obtainedByUs(stored: CachedToken): Promise<boolean> {
    let verdict = this.compared.get(stored.credentials);
    if (verdict === undefined) {
      // One entry per process that cached a token here: few, but a long-lived service meets more.
      if (this.compared.size >= 16) this.compared.clear();
      verdict = fingerprintMatches(stored.credentials, this.credentials()).catch(() => false);
      this.compared.set(stored.credentials, verdict);
    }
    return verdict;
  }

  /** Forgets the current token (after a 401) so that the next get() asks Auth0 for a new one. */
  invalidate(): void {
    this.cached = null;
  }

  async fetchNew(signal?: AbortSignal): Promise<string> {
    const { origin, clientId, clientSecret } = this.settings;
    const issuedAt = Date.now();
    const answer = await exchange(this.dispatcher, `${origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        audience: `${origin}/api/v2/`,
      }),
      signal,
      peer: "Auth0 token endpoint",
      errorClass: SourceError,
      // A token answer is a few hundred bytes.
      maxBytes: 64 * 1024,
    });
    const verdict = statusVerdict(answer, { only200: true, waitFrom: ["x-ratelimit-reset"] });
    if (verdict.kind === "credentials") {
      throw new SourceError(
        `Auth0 refused the client credentials (${answer.status}): check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET, and that the application may use the client_credentials grant for the Management API`,
        { retryable: false },
      );
    }
    if (verdict.kind === "retry") {
      const { retryAt } = verdict;
      throw new SourceError(
        verdict.rateLimited
          ? "Auth0 token endpoint rate limited (429)"
          : `Auth0 token endpoint answered ${answer.status}`,
        { retryable: true, ...(retryAt === undefined ? {} : { retryAt }) },
      );
    }
    if (verdict.kind === "refused") {
      // Auth0's error_description says what is wrong, and often runs past 120 characters.
      throw new SourceError(
        `Auth0 token endpoint answered ${answer.status}: ${excerpt(answer.body, 240)}`,
        { retryable: false },
      );
    }
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = parseBoundedJson(answer.body, 8) as typeof parsed;
    } catch {
      throw new SourceError("Auth0 token endpoint sent a body that is not JSON", {
        retryable: true,
      });
    }
    if (typeof parsed.access_token !== "string" || parsed.access_token === "") {
      throw new SourceError("Auth0 token endpoint sent no access_token", { retryable: false });
    }
    registerRotatingSecret(this.key, parsed.access_token);
    this.fingerprint ??= credentialsFingerprint(this.credentials());
    this.cached = {
      accessToken: parsed.access_token,
      expiresAt: usableUntil(issuedAt, tokenLifeSeconds(parsed.expires_in)),
      credentials: await this.fingerprint,
    };
    await this.store.put(this.key, this.cached);
    return parsed.access_token;
  }
}
