// Every store in one place: DATABASE_URL chooses one, as the settings choose a sink (sinks/open.ts).

import { describe, StoreError } from "../errors.ts";
import type { Store } from "../interfaces.ts";
import { newBudget, withRetry } from "../util/retry.ts";
import { SqliteStore } from "./sqlite/store.ts";

export interface OpenOptions {
  /** DATABASE_TIMEOUT: how long one call on PostgreSQL may take (SQLite answers in-process). */
  timeoutMs?: number;
  /**
   * A database that cannot be reached yet (down, restarting, not yet up beside the service) is
   * tried again with the shared backoff for up to `forMs`: a service started with its database
   * must not die of starting a moment before it.
   */
  retry?: { forMs: number; onRetry: (error: string, delayMs: number) => void };
}

/** Opens the store DATABASE_URL names. */
export async function openStore(databaseUrl: string, options: OpenOptions = {}): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    return new SqliteStore(databaseUrl.slice("sqlite:".length));
  }
  // Loaded only when chosen: the embedded default needs none of pg.
  const { PostgresStore } = await import("./postgres/store.ts");
  const { retry, timeoutMs } = options;
  if (!retry) return PostgresStore.open(databaseUrl, { timeoutMs });
  let last: unknown = null;
  try {
    return await withRetry(
      () =>
        PostgresStore.open(databaseUrl, { timeoutMs }).catch((error) => {
          last = error;
          throw error;
        }),
      {
        budget: newBudget(retry.forMs),
        baseMs: 500,
        capMs: 15_000,
        onRetry: ({ delayMs, error }) => retry.onRetry(describe(error), delayMs),
      },
    );
  } catch (error) {
    if (last === null || error === last) throw error;
    throw new StoreError(
      `${describe(last)} (tried for ${Math.round(retry.forMs / 60_000)} minutes)`,
      { retryable: false, cause: last },
    );
  }
}

/**
 * Opens a store that must exist, creating and changing nothing: for read-only commands (status,
 * runs, dead-letters list/show, schedule). No store at DATABASE_URL is a StoreError ("no store
 * at …"), not an empty one described as if it were the user's.
 */
export async function openExistingStore(
  databaseUrl: string,
  options: Pick<OpenOptions, "timeoutMs"> = {},
): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    return new SqliteStore(databaseUrl.slice("sqlite:".length), { existing: true });
  }
  const { PostgresStore } = await import("./postgres/store.ts");
  return PostgresStore.open(databaseUrl, { existing: true, timeoutMs: options.timeoutMs });
}
