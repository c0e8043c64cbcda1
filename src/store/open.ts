// Opens the store DATABASE_URL names, through its driver (store/index.ts).

import { describe, StoreError } from "../errors.ts";
import type { Store } from "../interfaces.ts";
import { newBudget, withRetry } from "../util/retry.ts";
import { storeDriver } from "./index.ts";

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

function driverOf(databaseUrl: string) {
  const driver = storeDriver(databaseUrl);
  // The settings refuse such a URL before anything opens a store.
  if (driver === undefined)
    throw new StoreError(`DATABASE_URL names no store driver`, { retryable: false });
  return driver;
}

/** Opens the store DATABASE_URL names. */
export async function openStore(databaseUrl: string, options: OpenOptions = {}): Promise<Store> {
  const driver = driverOf(databaseUrl);
  const { retry, timeoutMs } = options;
  if (!retry || !driver.overNetwork) return driver.open(databaseUrl, { timeoutMs });
  let last: unknown = null;
  try {
    return await withRetry(
      () =>
        driver.open(databaseUrl, { timeoutMs }).catch((error) => {
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
  return driverOf(databaseUrl).openExisting(databaseUrl, { timeoutMs: options.timeoutMs });
}
