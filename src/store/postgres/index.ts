// The PostgreSQL driver (store/driver.ts): DATABASE_URL=postgres://…, shared by replicas. Its
// client is loaded only when chosen: the embedded default needs none of pg.

import { credentialsProblem } from "../../settings-kit/schemas.ts";
import type { StoreDriver } from "../driver.ts";

/**
 * Why a postgres:// URL cannot be used, or undefined. It must parse as written: a # / ? or @ left
 * in a password cuts it short (# starts a fragment), and pg cannot decode a bad %.
 */
function urlProblem(value: string): string | undefined {
  const encode = "percent-encode the user and password (# as %23, / as %2F, ? as %3F, @ as %40)";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be a postgres:// URL, and this one does not parse: ${encode}`;
  }
  if (url.hash !== "") return `must be a postgres:// URL without # (a fragment): ${encode}`;
  const credentials = credentialsProblem(url);
  return credentials === undefined ? undefined : `must be a postgres:// URL; ${credentials}`;
}

export const postgres: StoreDriver = {
  kind: "postgres",
  form: "a postgres:// URL",
  takes: (url) => /^postgres(ql)?:\/\/.+/.test(url),
  urlProblem,
  sharedByReplicas: true,
  overNetwork: true,
  async open(url, { timeoutMs }) {
    const { PostgresStore } = await import("./store.ts");
    return PostgresStore.open(url, { timeoutMs });
  },
  async openExisting(url, { timeoutMs }) {
    const { PostgresStore } = await import("./store.ts");
    return PostgresStore.open(url, { existing: true, timeoutMs });
  },
};
