// The dashboard password generated at the first start, handed to the operator once: in a file only
// its owner may read, in the state folder, rather than on stderr between JSON log lines (which a
// journal or a log shipper keeps, and which other users may read). A terminal may still show it.

import { rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const PASSWORD_FILE = "dashboard-password";

/** The state folder: the SQLite store's, or the working directory for a store elsewhere. */
export function stateFolder(databaseUrl: string, cwd: string): string {
  if (!databaseUrl.startsWith("sqlite:")) return cwd;
  return dirname(resolve(cwd, databaseUrl.slice("sqlite:".length)));
}

/**
 * Writes the password to `<folder>/dashboard-password`, mode 0600, in place of any earlier one
 * (a new store generates a new password); returns the file's path.
 */
export function writePasswordFile(
  folder: string,
  login: { url: string; user: string; password: string },
): string {
  const path = join(folder, PASSWORD_FILE);
  rmSync(path, { force: true });
  // "wx" with the mode: the file is created 0600, never briefly readable by others.
  writeFileSync(
    path,
    `# The dashboard's sign-in, generated at the first start. Set DASHBOARD_PASSWORD to choose one\n# (it then replaces this one), and delete this file.\nurl=${login.url}\nuser=${login.user}\npassword=${login.password}\n`,
    { mode: 0o600, flag: "wx" },
  );
  return path;
}
