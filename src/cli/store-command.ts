// Commands that work on the store alone (status, runs, replay, enable, disable) need only the
// settings that locate and describe it, not the Auth0 or Logstash credentials.

import { loadSome } from "../config/load.ts";
import type { Store } from "../interfaces.ts";
import { openStore } from "../store/open.ts";
import type { Io } from "./command.ts";

export interface StoreSettings {
  databaseUrl: string;
  schedule: string;
  auth0LogRetentionMs: number;
}

export function storeSettings(io: Io): StoreSettings {
  const values = loadSome(io.env, ["DATABASE_URL", "SCHEDULE", "AUTH0_LOG_RETENTION"], {
    cwd: io.cwd,
  });
  return {
    databaseUrl: values.DATABASE_URL as string,
    schedule: values.SCHEDULE as string,
    auth0LogRetentionMs: values.AUTH0_LOG_RETENTION as number,
  };
}

export async function withSettingsStore<T>(
  io: Io,
  work: (store: Store, settings: StoreSettings) => Promise<T>,
): Promise<T> {
  const settings = storeSettings(io);
  const store = await openStore(settings.databaseUrl);
  try {
    return await work(store, settings);
  } finally {
    await store.close();
  }
}
