// JSON from outside (an upstream's answer, a request body) is bounded before it is parsed: its size
// by whoever read it, its nesting here. JSON.parse itself would build a million nested arrays from
// a few megabytes of "[[[[", enough to exhaust the heap and end the process.

/** How deep the JSON text nests, stopping as soon as it exceeds `limit` (then returns limit + 1). */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Jump to the closing quote: strings are most of the text and hold no structure.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return deepest;
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === 92 /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return deepest;
}

export class JsonInputError extends Error {}

/** Parses JSON that nests at most `maxDepth` levels; throws JsonInputError naming what is wrong. */
export function parseBoundedJson(text: string, maxDepth: number): unknown {
  if (nestingDepth(text, maxDepth) > maxDepth) {
    throw new JsonInputError(`nested deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonInputError("not valid JSON");
  }
}
