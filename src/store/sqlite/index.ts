// The SQLite driver (store/driver.ts): DATABASE_URL=sqlite:PATH, one process at a time.

import type { StoreDriver } from "../driver.ts";
import { SqliteStore } from "./store.ts";

const path = (url: string) => url.slice("sqlite:".length);

export const sqlite: StoreDriver = {
  kind: "sqlite",
  form: "sqlite:PATH",
  takes: (url) => /^sqlite:.+/.test(url),
  urlProblem: () => undefined,
  sharedByReplicas: false,
  overNetwork: false,
  open: async (url) => new SqliteStore(path(url)),
  openExisting: async (url) => new SqliteStore(path(url), { existing: true }),
};
