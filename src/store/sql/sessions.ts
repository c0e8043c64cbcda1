// Dashboard sessions, in the store so that every replica can serve a signed-in user. Only a hash
// of the session id is kept: a copy of the store does not sign anyone in.

import type { StoredSession } from "../../interfaces.ts";
import { type Db, int } from "../db.ts";

export async function getSession(db: Db, idHash: string): Promise<StoredSession | null> {
  const row = await db.get<{ user_name: string; csrf: string; expires_at: number | string }>(
    "SELECT user_name, csrf, expires_at FROM sessions WHERE id_hash = ?",
    [idHash],
  );
  return row ? { user: row.user_name, csrf: row.csrf, expiresAt: int(row.expires_at) } : null;
}

export async function putSession(db: Db, idHash: string, session: StoredSession): Promise<void> {
  // Expired sessions of anyone are swept here, at the rare moment someone signs in.
  await db.run("DELETE FROM sessions WHERE expires_at < ?", [Date.now()]);
  await db.run("INSERT INTO sessions (id_hash, user_name, csrf, expires_at) VALUES (?, ?, ?, ?)", [
    idHash,
    session.user,
    session.csrf,
    session.expiresAt,
  ]);
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.run("DELETE FROM sessions WHERE id_hash = ?", [idHash]);
}
