// What the dashboard's routes share.

import type { Logger } from "pino";
import type { Config } from "../config/types.ts";
import type { Store } from "../interfaces.ts";
import type { Service } from "../runner/service.ts";
import type { LogHub } from "../util/log-hub.ts";
import type { Session, Sessions } from "./auth.ts";

export interface DashboardDeps {
  config: Config;
  store: Store;
  service: Service;
  logger: Logger;
  logs: LogHub;
  sessions: Sessions;
  passwordHash: string;
  /** Settings as the process saw them, for the settings page. */
  env: Record<string, string | undefined>;
  cwd: string;
}

export type Env = { Variables: { session: Session } };

export const SESSION_COOKIE = "a2l_session";
