// JSON from outside is measured before it is parsed: too deep or too many values is refused
// without building anything, and real Auth0 pages pass whatever their size.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_PAGE_DEPTH, MAX_PAGE_VALUES } from "../src/auth0/source.ts";
import { JsonInputError, measureJson, parseBoundedJson } from "../src/util/bounded-json.ts";

const page = { maxDepth: MAX_PAGE_DEPTH, maxValues: MAX_PAGE_VALUES };

function problemOf(text: string, limits: Parameters<typeof parseBoundedJson>[1]): string {
  try {
    parseBoundedJson(text, limits);
  } catch (error) {
    assert.ok(error instanceof JsonInputError);
    return `${error.problem}: ${error.message}`;
  }
  return "parsed";
}

describe("bounded JSON", () => {
  it("refuses a flat text of millions of arrays, only 2 levels deep", () => {
    const wide = `[${"[[]],".repeat(1_000_000)}[[]]]`;
    assert.equal(problemOf(wide, page), "values: holding more than 500000 values");
    assert.equal(problemOf(wide, 100), "values: holding more than 500000 values");
  });

  it("refuses deep nesting, and says when the text is not JSON", () => {
    assert.equal(problemOf("[".repeat(200), page), "depth: nested deeper than 100 levels");
    assert.equal(problemOf('{"a":', page), "syntax: not valid JSON");
  });

  it("counts neither commas nor brackets inside strings", () => {
    const text = JSON.stringify({ a: "[,{,[,{".repeat(1000), b: ['"\\', "x"] });
    // {, the comma between a and b, [ and the comma inside it.
    assert.deepEqual(measureJson(text, 10, 1000), { depth: 2, values: 4 });
    assert.equal(problemOf(text, { maxDepth: 2, maxValues: 4 }), "parsed");
  });

  it("parses a page of 100 large events: 4 000 fields each, or one 2 MB string", () => {
    const fields = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`f${i}`, i]));
    const events = Array.from({ length: 100 }, (_, i) => ({ log_id: String(i), details: fields }));
    assert.equal((parseBoundedJson(JSON.stringify(events), page) as unknown[]).length, 100);
    const big = [{ log_id: "1", details: { body: "x".repeat(2 * 1024 * 1024) } }];
    assert.equal(problemOf(JSON.stringify(big), page), "parsed");
  });
});
