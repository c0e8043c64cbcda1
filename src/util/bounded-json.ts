// JSON from outside (an upstream's answer, a request body) is bounded before it is parsed: its size
// by whoever read it, its nesting and its number of values here. JSON.parse would build a million
// nested arrays from a few megabytes of "[[[[", and millions of flat ones from 16 MiB of
// "[[]],[[]],…" (2 levels deep): either is enough to exhaust the heap and end the process.

/** What a parse may build. */
export interface JsonLimits {
  /** The deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Values and containers, counted as `[`, `{` and `,` (each element after a container's first). */
  maxValues?: number;
}

/**
 * The default bound on values: about 20 MB of heap in the worst shape (empty objects, ~40 bytes
 * each), and 5 000 values for each of the 100 events of an Auth0 page, far more than any has.
 */
export const DEFAULT_MAX_VALUES = 500_000;

export interface JsonShape {
  depth: number;
  values: number;
}

/**
 * How deep the JSON text nests and how many values it holds, stopping as soon as either exceeds
 * its limit (the count returned is then just past it). Strings are skipped whole: they are most
 * of the text and hold no structure.
 */
export function measureJson(text: string, maxDepth: number, maxValues: number): JsonShape {
  let depth = 0;
  let deepest = 0;
  let values = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return { depth: deepest, values };
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === 92 /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (++values > maxValues) break;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) break;
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    } else if (c === 44 /* , */) {
      if (++values > maxValues) break;
    }
  }
  return { depth: deepest, values };
}

/** How deep the JSON text nests, stopping as soon as it exceeds `limit` (then returns limit + 1). */
export function nestingDepth(text: string, limit: number): number {
  return measureJson(text, limit, Number.POSITIVE_INFINITY).depth;
}

/** Why a text was not parsed: too deep, too many values, or not JSON at all. */
export type JsonProblem = "depth" | "values" | "syntax";

/**
 * The message says what is wrong without quoting the text ("nested deeper than 100 levels");
 * callers name the source: `${source} sent ${what} ${error.message}; it was not parsed`.
 */
export class JsonInputError extends Error {
  readonly problem: JsonProblem;

  constructor(problem: JsonProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/**
 * Parses JSON within the limits (a number is the depth, with the default bound on values), or
 * throws JsonInputError saying which was exceeded, before JSON.parse has built anything.
 */
export function parseBoundedJson(text: string, limits: number | JsonLimits): unknown {
  const { maxDepth, maxValues = DEFAULT_MAX_VALUES } =
    typeof limits === "number" ? { maxDepth: limits } : limits;
  const shape = measureJson(text, maxDepth, maxValues);
  if (shape.depth > maxDepth) {
    throw new JsonInputError("depth", `nested deeper than ${maxDepth} levels`);
  }
  if (shape.values > maxValues) {
    throw new JsonInputError("values", `holding more than ${maxValues} values`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonInputError("syntax", "not valid JSON");
  }
}
