// The NDJSON body of a `_bulk` request, read the way ES's BulkRequestParser reads it: an action
// line and (except for delete) a source line per item, a newline after the last line, and a whole
// request refused with 400 for anything malformed before a single item is applied. A client that
// builds its body slightly wrong learns it here, not from a cluster in production.

import { fail, type Json } from "./errors.ts";

export interface Item {
  op: string;
  meta: Json;
  source: string | undefined;
  line: number;
}

const OPS = ["create", "delete", "index", "update"];
// Every parameter an action line may carry in ES 8 (OpenSearch accepts a subset of the same).
const META_KEYS = [
  ..."_index _id routing pipeline require_alias require_data_stream if_seq_no".split(" "),
  ..."if_primary_term version version_type retry_on_conflict _source dynamic_templates".split(" "),
  "list_executed_pipelines",
  "op_type",
];

function token(line: string): string {
  const c = line.trimStart()[0];
  if (c === "[") return "START_ARRAY";
  if (c === '"') return "VALUE_STRING";
  if (c === "t") return "VALUE_TRUE";
  if (c === "f") return "VALUE_FALSE";
  if (c === "n") return "VALUE_NULL";
  if (c !== undefined && /[-\d]/.test(c)) return "VALUE_NUMBER";
  return "VALUE_STRING";
}

/** Splits the NDJSON into items, or throws the whole-request 400 ES gives. */
export function parseItems(text: string): Item[] {
  if (text.length === 0)
    throw fail(
      400,
      "action_request_validation_exception",
      "Validation Failed: 1: no requests added;",
    );
  if (!text.endsWith("\n"))
    throw fail(
      400,
      "illegal_argument_exception",
      "The bulk request must be terminated by a newline [\n]",
    );
  const lines = text.split("\n");
  const items: Item[] = [];
  const malformed = (line: number, detail: string) =>
    fail(400, "illegal_argument_exception", `Malformed action/metadata line [${line}], ${detail}`);
  for (let i = 0; i < lines.length - 1; i++) {
    const raw = lines[i] ?? "";
    const line = i + 1;
    if (raw.trim() === "") continue;
    if (!raw.trimStart().startsWith("{"))
      throw malformed(line, `expected START_OBJECT or END_OBJECT but found [${token(raw)}]`);
    let action: unknown;
    try {
      action = JSON.parse(raw);
    } catch (error) {
      throw fail(400, "x_content_parse_exception", `[${line}:1] ${(error as Error).message}`);
    }
    const keys = Object.keys(action as Json);
    if (keys.length === 0) throw malformed(line, "expected FIELD_NAME but found [END_OBJECT]");
    const op = keys[0] ?? "";
    if (!OPS.includes(op))
      throw malformed(line, `expected one of [create, delete, index, update] but found [${op}]`);
    if (keys.length > 1) throw malformed(line, "expected END_OBJECT but found [FIELD_NAME]");
    const meta = (action as Json)[op];
    if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
      throw malformed(line, `expected START_OBJECT but found [${token(JSON.stringify(meta))}]`);
    }
    for (const key of Object.keys(meta)) {
      if (!META_KEYS.includes(key)) {
        throw fail(
          400,
          "illegal_argument_exception",
          `Action/metadata line [${line}] contains an unknown parameter [${key}]`,
        );
      }
    }
    if (op === "delete") {
      items.push({ op, meta: meta as Json, source: undefined, line });
      continue;
    }
    if (i + 1 >= lines.length - 1) break; // an action without its source line is dropped, as ES does
    items.push({ op, meta: meta as Json, source: lines[i + 1], line });
    i++;
  }
  if (items.length === 0)
    throw fail(
      400,
      "action_request_validation_exception",
      "Validation Failed: 1: no requests added;",
    );
  return items;
}

export function validate(items: Item[], pathTarget: string | undefined): void {
  const problems: string[] = [];
  for (const item of items) {
    const index = item.meta._index ?? pathTarget;
    if (index === undefined || index === "") problems.push("index is missing");
    const id = item.meta._id;
    if (id !== undefined && String(id) === "")
      problems.push("if _id is specified it must not be empty");
    if (id !== undefined && Buffer.byteLength(String(id)) > 512) {
      problems.push(
        `id [${String(id)}] is too long, must be no longer than 512 bytes but was: ${Buffer.byteLength(String(id))}`,
      );
    }
  }
  if (problems.length > 0) {
    const listed = problems.map((p, i) => `${i + 1}: ${p};`).join("");
    throw fail(400, "action_request_validation_exception", `Validation Failed: ${listed}`);
  }
}
