// What the dashboard's routes share.

import type { Logger } from "pino";
import type { Store } from "../interfaces.ts";
import type { Supervisor } from "../runner/supervisor.ts";
import type { Trusted } from "../util/addresses.ts";
import type { LogHub } from "../util/log-hub.ts";
import type { Session, Sessions, SignInLimiter, Verifier } from "./auth.ts";

export interface DashboardDeps {
  /** The process's settings: the dashboard's own (user, session lifetime). */
  dashboard: { user: string; sessionTtlMs: number };
  store: Store;
  supervisor: Supervisor;
  logger: Logger;
  logs: LogHub;
  sessions: Sessions;
  verifier: Verifier;
  limiter: SignInLimiter;
  /** Proxies whose X-Forwarded-* headers are believed (TRUSTED_PROXIES). */
  trusted: Trusted;
  /** Settings as the process saw them, for the settings page. */
  env: Record<string, string | undefined>;
  cwd: string;
}

export type Env = { Variables: { session: Session; sessionId: string } };

export const SESSION_COOKIE = "a2l_session";
