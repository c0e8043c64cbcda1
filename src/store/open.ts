import { ConfigError } from "../errors.ts";
import type { Store } from "../interfaces.ts";
import { SqliteStore } from "./sqlite/store.ts";

/** Opens the store that DATABASE_URL names. */
export async function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:"))
    return new SqliteStore(databaseUrl.slice("sqlite:".length));
  throw new ConfigError([
    `DATABASE_URL: only sqlite:PATH is supported by this version (example: sqlite:./data/state.sqlite)`,
  ]);
}
