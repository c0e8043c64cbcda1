// The stores a contract runs against: SQLite always, PostgreSQL on the machine's server (each
// test in a schema of its own; skipped, saying so, when no server answers).

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { Store } from "../../src/interfaces.ts";
import { openStore } from "../../src/store/open.ts";
import { postgresUrl } from "./postgres.ts";

export interface StoreDriver {
  name: "SQLite" | "PostgreSQL";
  /** A fresh store, closed when the test ends; the test is skipped without a PostgreSQL server. */
  open(t: TestContext): Promise<Store>;
}

async function url(t: TestContext, name: StoreDriver["name"]): Promise<string> {
  if (name === "SQLite") {
    return `sqlite:${join(mkdtempSync(join(tmpdir(), "a2l-store-")), "nested", "state.sqlite")}`;
  }
  const postgres = await postgresUrl(t);
  if (postgres !== null) return postgres;
  t.skip("no PostgreSQL server at 127.0.0.1:5432");
  throw new Error("skipped: no PostgreSQL server");
}

export const STORE_DRIVERS: StoreDriver[] = (["SQLite", "PostgreSQL"] as const).map((name) => ({
  name,
  async open(t) {
    const store = await openStore(await url(t, name));
    t.after(() => store.close());
    return store;
  },
}));
