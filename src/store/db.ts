// The seam between the store's statements and a database driver: SQLite (node:sqlite) or
// PostgreSQL (pg). Statements are written once, with `?` placeholders, in the SQL both dialects
// share (ON CONFLICT, RETURNING, FILTER); the few that differ ask `dialect`.

export type Dialect = "sqlite" | "postgres";

export type Param = string | number | null;

export interface Db {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: Param[]): Promise<T[]>;
  get<T>(sql: string, params?: Param[]): Promise<T | undefined>;
  /** Runs a statement; `changes` is how many rows it touched. */
  run(sql: string, params?: Param[]): Promise<{ changes: number }>;
  /**
   * Runs `work` in one transaction on one connection (`tx`), committed when it resolves and
   * rolled back when it throws. Nothing else runs on that connection meanwhile.
   */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
}

/** JSON columns: text in SQLite, jsonb (already parsed by pg) in PostgreSQL. */
export function fromJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/** Integers: pg returns bigint columns and counts as strings. */
export function int(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}
