// A PostgreSQL database for a test: the machine's server (127.0.0.1:5432, database test, or
// A2L_TEST_DATABASE_URL), a schema of the test's own, dropped afterwards. The server is a real part
// every machine of the project has, so a test that cannot reach it fails, saying how to start it;
// it is never skipped (a skipped store test is a promise not kept).

import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import pg from "pg";

export const TEST_DATABASE =
  process.env.A2L_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let reachable: Promise<boolean> | null = null;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A URL (DATABASE_URL) to a fresh schema, dropped when the test ends. */
export async function postgresUrl(t: TestContext): Promise<string> {
  reachable ??= admin(async () => true).catch(() => false);
  if (!(await reachable)) {
    throw new Error(
      `no PostgreSQL at ${TEST_DATABASE}: start the server (pg_ctlcluster … main start), or set A2L_TEST_DATABASE_URL`,
    );
  }
  const schema = `a2l_${randomBytes(6).toString("hex")}`;
  t.after(() => admin((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)));
  const url = new URL(TEST_DATABASE);
  url.searchParams.set("schema", schema);
  return url.toString();
}
