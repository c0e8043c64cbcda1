// What of an answer the exporter reads, for comparing the fake's with a real node's: the status;
// an error's type, reason and cause; each bulk item's operation, status, result and error; the
// rest of a JSON body without what differs between any two clusters (uuids, timings, build).

const VOLATILE = new Set([
  "took",
  "_seq_no",
  "_primary_term",
  "_version",
  "index_uuid",
  "cluster_uuid",
  "uuid",
  "name",
  "cluster_name",
  "build_type",
  "build_hash",
  "build_date",
  "lucene_version",
  "shard",
  "_shards",
]);

function clean(value: unknown, names: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((one) => clean(one, names));
  if (typeof value === "string") return anonymous(value, names);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (VOLATILE.has(key)) continue;
    out[key] = clean((value as Record<string, unknown>)[key], names);
  }
  return out;
}

/** The case's own names, and backing indices' generation dates, replaced by placeholders. */
function anonymous(text: string, names: Record<string, string>): string {
  let out = text;
  for (const [key, value] of Object.entries(names)) out = out.replaceAll(value, `{${key}}`);
  return out.replace(/\.ds-\{ds\}-(\d{4}\.\d{2}\.\d{2}-)?(\d{6})/g, ".ds-{ds}-$2");
}

/**
 * What the fake does not emulate, by design: Jackson's wording of a JSON syntax error (the fake
 * parses with JavaScript's), wherever a chain of errors repeats it, and the order a 405 lists the
 * allowed methods in (a hash set's).
 */
function unemulated(reason: string): string {
  return reason.replace(
    /allowed: \[([^\]]*)\]/,
    (_, list: string) => `allowed: [${list.split(", ").sort().join(", ")}]`,
  );
}

function chainHas(value: Record<string, unknown> | undefined, type: string): boolean {
  for (let e = value; e; e = e.caused_by as Record<string, unknown> | undefined) {
    if (e.type === type) return true;
  }
  return false;
}

function error(value: unknown, names: Record<string, string>, jackson?: boolean): unknown {
  if (typeof value === "string") return unemulated(anonymous(value, names));
  const e = value as Record<string, unknown>;
  const words = jackson ?? chainHas(e, "json_parse_exception");
  const cause = e.caused_by as Record<string, unknown> | undefined;
  const reason =
    typeof e.reason !== "string"
      ? e.reason
      : words && !/^(\[1:1\] )?failed to parse$/.test(e.reason)
        ? "(Jackson's words)"
        : unemulated(anonymous(e.reason, names));
  return { type: e.type, reason, ...(cause ? { caused_by: error(cause, names, words) } : {}) };
}

export function project(status: number, text: string, names: Record<string, string>): unknown {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { status, text: anonymous(text.trim(), names) };
  }
  if (Array.isArray(json.items)) {
    return {
      status,
      errors: json.errors,
      items: (json.items as Record<string, Record<string, unknown>>[]).map((item) => {
        const [op, result] = Object.entries(item)[0] as [string, Record<string, unknown>];
        return {
          op,
          status: result.status,
          ...(result.result ? { result: result.result } : {}),
          ...(result.error ? { error: error(result.error, names) } : {}),
        };
      }),
    };
  }
  if (json.error !== undefined) return { status, error: error(json.error, names) };
  return { status, body: clean(json, names) };
}
