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
  /** As a world takes it (`world(t, { store })`) and as the reliability suites name their cases. */
  kind: "sqlite" | "postgres";
  /** As the contract suites name their cases. */
  name: "SQLite" | "PostgreSQL";
  /**
   * A fresh store's DATABASE_URL: a SQLite file in a folder of its own, or a PostgreSQL schema of
   * the test's own; the test is skipped without a PostgreSQL server.
   */
  url(t: TestContext): Promise<string>;
  /** A fresh store (at `url(t)`), closed when the test ends. */
  open(t: TestContext): Promise<Store>;
}

function driver(kind: StoreDriver["kind"], name: StoreDriver["name"], url: StoreDriver["url"]) {
  return {
    kind,
    name,
    url,
    async open(t: TestContext) {
      const store = await openStore(await url(t));
      t.after(() => store.close());
      return store;
    },
  } satisfies StoreDriver;
}

export const SQLITE: StoreDriver = driver("sqlite", "SQLite", async () => {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), "a2l-store-")), "nested", "state.sqlite")}`;
});

export const POSTGRES: StoreDriver = driver("postgres", "PostgreSQL", postgresUrl);

/** The stores every store-facing suite runs against, SQLite first. */
export const STORE_DRIVERS: StoreDriver[] = [SQLITE, POSTGRES];
