// Every store driver, in one list: DATABASE_URL chooses one by its scheme, as the settings choose a
// sink (sinks/index.ts). A new driver is a folder whose index.ts exports one StoreDriver (with its
// db.ts, store.ts and migrations), and one line here.

import type { StoreDriver } from "./driver.ts";
import { postgres } from "./postgres/index.ts";
import { sqlite } from "./sqlite/index.ts";

export const STORE_DRIVERS: StoreDriver[] = [sqlite, postgres];

/** The driver DATABASE_URL names, or undefined. */
export function storeDriver(url: string): StoreDriver | undefined {
  return STORE_DRIVERS.find((driver) => driver.takes(url));
}

/** Why DATABASE_URL cannot be used, or undefined. */
export function databaseUrlProblem(url: string): string | undefined {
  const driver = storeDriver(url);
  if (driver === undefined) {
    const forms = STORE_DRIVERS.map((d) => d.form);
    return `must be ${forms.slice(0, -1).join(", ")} or ${forms.at(-1)}`;
  }
  return driver.urlProblem(url);
}

export type { StoreDriver } from "./driver.ts";
