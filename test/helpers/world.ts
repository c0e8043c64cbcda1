// A simulated tenant and sink (Logstash, or an Elasticsearch/OpenSearch cluster) with an exporter
// pointed at them, torn down after each test.

import type { TestContext } from "node:test";
import {
  type LogstashFake,
  type LogstashOptions,
  startLogstash,
} from "../../simulator/logstash.ts";
import { type SearchFake, type SearchOptions, startSearch } from "../../simulator/search/index.ts";
import { startTenant, type TenantOptions, type TenantSimulator } from "../../simulator/tenant.ts";
import type { RunRecord, Store } from "../../src/interfaces.ts";
import { openStore } from "../../src/store/open.ts";
import { runCli, tempDir } from "./cli.ts";
import { exporterEnv } from "./env.ts";
import { postgresUrl } from "./postgres.ts";
import { SQLITE, type StoreDriver } from "./stores.ts";

export interface World {
  tenant: TenantSimulator;
  /** The Logstash fake (also present, unused, when the world has a cluster). */
  logstash: LogstashFake;
  /** The cluster, when the world was made with `search`. */
  search: SearchFake | null;
  dir: string;
  env: Record<string, string>;
  once(overrides?: Record<string, string>, args?: string[]): ReturnType<typeof runCli>;
  stored(): Promise<{ checkpoint: string | null; runs: RunRecord[] }>;
  /** The exporter's store (DATABASE_URL), opened for the work and closed after. */
  withStore<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** Which store the exporter uses. */
  driver: StoreDriver;
  /** Ids the tenant holds that the sink never received (or indexed). */
  missing(): string[];
  /** Ids the sink received (or indexed) more than once. */
  duplicates(): string[];
}

export async function world(
  t: TestContext,
  options: {
    tenant?: TenantOptions;
    logstash?: LogstashOptions;
    /** A cluster instead of Logstash: the exporter gets ELASTICSEARCH_URL. */
    search?: SearchOptions;
    /**
     * A real cluster's URL instead of Logstash (test/helpers/search-node.ts); missing() and
     * duplicates() then know nothing of it: ask the node (idCounts).
     */
    cluster?: string;
    env?: Record<string, string>;
    /**
     * The exporter's store (one of STORE_DRIVERS): SQLite in the world's folder (default), or a
     * PostgreSQL schema; without a PostgreSQL server the test fails (a world never skips).
     */
    store?: StoreDriver;
  } = {},
): Promise<World> {
  const driver = options.store ?? SQLITE;
  const postgres = driver.kind === "postgres" ? await postgresUrl(t) : null;
  const tenant = await startTenant(options.tenant);
  const logstash = await startLogstash(options.logstash);
  const search = options.search ? await startSearch(options.search) : null;
  const dir = tempDir();
  const { LOGSTASH_URL, LOGSTASH_INDEX, ...common } = exporterEnv(tenant, logstash, dir);
  const clusterUrl = search?.url ?? options.cluster;
  const sink: Record<string, string> = clusterUrl
    ? { ELASTICSEARCH_URL: clusterUrl }
    : { LOGSTASH_URL: LOGSTASH_URL as string, LOGSTASH_INDEX: LOGSTASH_INDEX as string };
  const env = {
    ...common,
    ...sink,
    ...(postgres ? { DATABASE_URL: postgres } : {}),
    ...options.env,
  };
  t.after(async () => {
    await tenant.close();
    await logstash.close();
    await search?.close();
  });
  const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(env.DATABASE_URL as string);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };
  const idCounts = () => (search ? search.idCounts() : logstash.idCounts());
  return {
    tenant,
    logstash,
    search,
    dir,
    env,
    once: (overrides = {}, args = []) => runCli(["once", ...args], { ...env, ...overrides }, dir),
    driver,
    withStore,
    stored: () =>
      withStore(async (store) => ({
        checkpoint: (await store.forJob("default").checkpoints.get()).checkpoint,
        runs: await store.forJob("default").runs.list({ limit: 100 }),
      })),
    missing: () => {
      const counts = idCounts();
      return tenant.eventIds().filter((id) => !counts.has(id));
    },
    duplicates: () => [...idCounts()].filter(([, n]) => n > 1).map(([id]) => id),
  };
}
