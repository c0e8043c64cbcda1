// ES 8 puts the parser's position in every document error ("[1:17] failed to parse field ...").
// Documents are parsed with JSON.parse, which keeps no positions, so when (and only when) a
// document fails, this scanner walks its source text along the failing key path to find the
// column where that value starts: the fast path stays fast and the message stays real.

export type SourcePath = (string | number)[];

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] ?? "")) i++;
  return i;
}

function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** The index just after the JSON value starting at i. */
function skipValue(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return skipString(text, i);
  if (first !== "{" && first !== "[") {
    let j = i;
    while (j < text.length && !/[\s,}\]]/.test(text[j] ?? "")) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === '"') j = skipString(text, j) - 1;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return text.length;
}

/** The index where the member `key` (or element `index`) of the container at i starts. */
function member(text: string, i: number, step: string | number): number {
  const open = text[i];
  let j = skipSpace(text, i + 1);
  let index = 0;
  while (j < text.length && text[j] !== "}" && text[j] !== "]") {
    if (open === "{") {
      const end = skipString(text, j);
      let key: string;
      try {
        key = JSON.parse(text.slice(j, end)) as string;
      } catch {
        return -1;
      }
      j = skipSpace(text, end);
      j = skipSpace(text, j + 1); // the colon
      if (key === step) return j;
    } else if (index === step) {
      return j;
    }
    j = skipSpace(text, skipValue(text, j));
    if (text[j] === ",") j = skipSpace(text, j + 1);
    index++;
  }
  return -1;
}

/** 1-based column of the value at `path` in a one-line JSON source (the end if not found). */
export function columnOf(text: string, path: SourcePath): number {
  let i = skipSpace(text, 0);
  for (const step of path) {
    const next = member(text, i, step);
    if (next < 0) return endColumn(text);
    i = next;
  }
  return i + 1;
}

/** Where the parser stands after the last token: the closing brace. */
export function endColumn(text: string): number {
  return text.trimEnd().length;
}
