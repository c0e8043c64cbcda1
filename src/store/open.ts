// Every store in one place: DATABASE_URL chooses one, as the settings choose a sink (sinks/open.ts).

import type { Store } from "../interfaces.ts";
import { SqliteStore } from "./sqlite/store.ts";

export async function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    return new SqliteStore(databaseUrl.slice("sqlite:".length));
  }
  // Loaded only when chosen: the embedded default needs none of pg.
  const { PostgresStore } = await import("./postgres/store.ts");
  return PostgresStore.open(databaseUrl);
}
