// pg behind the Db seam: a pool, `?` placeholders numbered as PostgreSQL wants them, one pooled
// client per transaction. Timestamps come back as ISO strings and bigints as numbers, as SQLite
// gives them, so that the statements need not care which database answers.

import pg from "pg";
import type { Db, Param } from "../db.ts";

/** `?` → `$1, $2, …` (the statements have no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const ISO = (text: string) =>
  new Date(text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")).toISOString();

/** Type parsers for this pool only (pg's defaults are process-wide). */
export const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.TIMESTAMPTZ) return ISO;
    if (oid === pg.types.builtins.INT8) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  },
};

type Queryable = Pick<pg.Pool, "query">;

export class PgDb implements Db {
  readonly dialect = "postgres" as const;
  private readonly client: Queryable;
  private readonly pool: pg.Pool | null;

  constructor(client: Queryable, pool: pg.Pool | null) {
    this.client = client;
    this.pool = pool;
  }

  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return (await this.client.query(numbered(sql), params)).rows as T[];
  }

  async get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return (await this.client.query(numbered(sql), params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: Param[] = []): Promise<{ changes: number }> {
    return { changes: (await this.client.query(numbered(sql), params)).rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    if (!this.pool) return work(this);
    const client = await this.pool.connect();
    let broken = false;
    // A checked-out client has no pool listening to it: a connection that dies between two
    // statements (the server restarted, or ended a session frozen in its transaction) would emit
    // an 'error' no one hears, which ends the process. The next statement fails instead.
    const onError = () => {
      broken = true;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await work(new PgDb(client, null));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection that could not even roll back is not given to anyone else.
      client.off("error", onError);
      client.release(broken);
    }
  }
}
