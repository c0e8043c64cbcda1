// The time inside a log id: "900" + YYYYMMDDhhmmss (indexing time, UTC) + 39 digits. Here, below
// every stage: the source's checkpoints (auth0/checkpoint.ts), the pipeline and a sink that dates a
// document without a date all read it, and a sink must not depend on the source to do so.

/** The indexing time embedded in a log id, or null when the id does not hold a valid time. */
export function timeOfLogId(id: string): Date | null {
  if (!/^\d{56}$/.test(id)) return null;
  const s = id.slice(3, 17);
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19) !== iso.slice(0, 19)) {
    return null;
  }
  return date;
}
