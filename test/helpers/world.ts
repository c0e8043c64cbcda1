// A simulated tenant and Logstash with an exporter pointed at them, torn down after each test.

import { join } from "node:path";
import type { TestContext } from "node:test";
import type { RunRecord } from "../../src/interfaces.ts";
import {
  type LogstashFake,
  type LogstashOptions,
  startLogstash,
} from "../../src/simulator/logstash.ts";
import {
  startTenant,
  type TenantOptions,
  type TenantSimulator,
} from "../../src/simulator/tenant.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { runCli, tempDir } from "./cli.ts";
import { exporterEnv } from "./env.ts";

export interface World {
  tenant: TenantSimulator;
  logstash: LogstashFake;
  dir: string;
  env: Record<string, string>;
  once(overrides?: Record<string, string>, args?: string[]): ReturnType<typeof runCli>;
  stored(): Promise<{ checkpoint: string | null; runs: RunRecord[] }>;
  /** Ids the tenant holds that Logstash never received. */
  missing(): string[];
  /** Ids Logstash received more than once. */
  duplicates(): string[];
}

export async function world(
  t: TestContext,
  options: {
    tenant?: TenantOptions;
    logstash?: LogstashOptions;
    env?: Record<string, string>;
  } = {},
): Promise<World> {
  const tenant = await startTenant(options.tenant);
  const logstash = await startLogstash(options.logstash);
  const dir = tempDir();
  const env = exporterEnv(tenant, logstash, dir, options.env);
  t.after(async () => {
    await tenant.close();
    await logstash.close();
  });
  return {
    tenant,
    logstash,
    dir,
    env,
    once: (overrides = {}, args = []) => runCli(["once", ...args], { ...env, ...overrides }, dir),
    async stored() {
      const store = new SqliteStore(join(dir, "state.sqlite"));
      try {
        return {
          checkpoint: (await store.getCheckpoint()).checkpoint,
          runs: await store.listRuns(100),
        };
      } finally {
        await store.close();
      }
    },
    missing: () => tenant.eventIds().filter((id) => !logstash.idCounts().has(id)),
    duplicates: () => [...logstash.idCounts()].filter(([, n]) => n > 1).map(([id]) => id),
  };
}
