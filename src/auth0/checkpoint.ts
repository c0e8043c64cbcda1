// Auth0 log ids: 56 digits, "900" + YYYYMMDDhhmmss (indexing time, UTC) + 39 digits. They compare
// correctly as strings, and one built from a time is a valid "start from this moment" checkpoint.

export const CHECKPOINT_PATTERN = /^\d{56}$/;

export function isCheckpoint(value: string): boolean {
  return CHECKPOINT_PATTERN.test(value) && timeOfCheckpoint(value) !== null;
}

/** The checkpoint that means "everything after this instant" (second precision). */
export function checkpointAt(time: Date): string {
  const stamp = time.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `900${stamp}${"0".repeat(39)}`;
}

/** The indexing time embedded in a log id, or null when the id does not hold a valid time. */
export function timeOfCheckpoint(id: string): Date | null {
  if (!/^\d{56}$/.test(id)) return null;
  const s = id.slice(3, 17);
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19) !== iso.slice(0, 19)) {
    return null;
  }
  return date;
}
