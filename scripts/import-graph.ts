// The import graph of src/ between its rooms (top-level folders, and top-level files as rooms of
// their own): how many floors, which arrows run back up (inside a cycle), and the house rules the
// style guide sets (the runner imports nothing from web; a concrete sink folder is imported from
// outside itself by its registry only). `node scripts/import-graph.ts [--json] [src]`; exit 1 when
// a rule is broken, so a test can hold the line.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;

export interface ImportGraph {
  rooms: string[];
  /** room -> rooms it imports (relative imports only). */
  arrows: Map<string, Set<string>>;
  /** file -> files it imports (paths relative to the root). */
  fileArrows: Map<string, Set<string>>;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith(".ts")) out.push(path);
  }
  return out;
}

function roomOf(file: string): string {
  return file.split(sep)[0] ?? file;
}

export function readGraph(root: string): ImportGraph {
  const arrows = new Map<string, Set<string>>();
  const fileArrows = new Map<string, Set<string>>();
  const rooms = new Set<string>();
  for (const path of sourceFiles(root)) {
    const file = relative(root, path);
    const from = roomOf(file);
    rooms.add(from);
    const targets = fileArrows.get(file) ?? new Set<string>();
    fileArrows.set(file, targets);
    for (const match of readFileSync(path, "utf8").matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? "";
      if (!spec.startsWith(".")) continue;
      const target = relative(root, resolve(dirname(path), spec));
      if (target.startsWith("..")) continue;
      targets.add(target);
      const to = roomOf(target);
      if (to === from) continue;
      const set = arrows.get(from) ?? new Set<string>();
      set.add(to);
      arrows.set(from, set);
    }
  }
  return { rooms: [...rooms].sort(), arrows, fileArrows };
}

/** Strongly connected components (Tarjan): a component of more than one room is a cycle. */
export function cycles(graph: ImportGraph): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (room: string): void => {
    order.set(room, index);
    low.set(room, index);
    index++;
    stack.push(room);
    onStack.add(room);
    for (const next of graph.arrows.get(room) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(room, Math.min(low.get(room) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(room, Math.min(low.get(room) ?? 0, order.get(next) ?? 0));
      }
    }
    if (low.get(room) === order.get(room)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== room);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const room of graph.rooms) if (!order.has(room)) visit(room);
  return found;
}

/**
 * Floors: a room's floor is one above the highest room it imports, with each cycle counted as
 * one room. Arrows back up are those between rooms of one cycle (no layering can order them).
 */
export function floors(graph: ImportGraph): { floor: Map<string, number>; backUp: string[] } {
  const componentOf = new Map<string, string>();
  for (const component of cycles(graph))
    for (const room of component) componentOf.set(room, component[0] ?? room);
  const key = (room: string) => componentOf.get(room) ?? room;
  const floor = new Map<string, number>();
  const height = (room: string, seen: Set<string>): number => {
    const known = floor.get(key(room));
    if (known !== undefined) return known;
    if (seen.has(key(room))) return 0;
    seen.add(key(room));
    let top = 0;
    for (const member of graph.rooms.filter((r) => key(r) === key(room))) {
      for (const next of graph.arrows.get(member) ?? []) {
        if (key(next) !== key(room)) top = Math.max(top, height(next, seen));
      }
    }
    floor.set(key(room), top + 1);
    return top + 1;
  };
  const result = new Map<string, number>();
  for (const room of graph.rooms) result.set(room, height(room, new Set()));
  const backUp: string[] = [];
  for (const [from, set] of graph.arrows) {
    for (const to of set) if (key(from) === key(to)) backUp.push(`${from} -> ${to}`);
  }
  return { floor: result, backUp: backUp.sort() };
}

/** The style guide's rules, each broken one as a sentence. */
export function brokenRules(graph: ImportGraph): string[] {
  const broken: string[] = [];
  if (graph.arrows.get("runner")?.has("web")) broken.push("the runner imports from web/");
  const sinkImporters = new Map<string, Set<string>>();
  for (const [file, targets] of graph.fileArrows) {
    for (const target of targets) {
      const parts = target.split(sep);
      if (parts[0] !== "sinks" || parts.length < 3) continue;
      const sink = parts[1] ?? "";
      if (file.startsWith(join("sinks", sink) + sep)) continue;
      const set = sinkImporters.get(sink) ?? new Set<string>();
      set.add(file);
      sinkImporters.set(sink, set);
    }
  }
  for (const [sink, files] of sinkImporters) {
    if (files.size > 1) {
      broken.push(
        `sinks/${sink}/ is imported from ${files.size} files outside it: ${[...files].sort().join(", ")}`,
      );
    }
  }
  for (const cycle of cycles(graph)) broken.push(`a cycle between ${cycle.join(", ")}`);
  return broken;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const root = resolve(args.find((a) => !a.startsWith("--")) ?? "src");
  const graph = readGraph(root);
  const { floor, backUp } = floors(graph);
  const arrowCount = [...graph.arrows.values()].reduce((n, s) => n + s.size, 0);
  const broken = brokenRules(graph);
  const byFloor = new Map<number, string[]>();
  for (const [room, f] of floor) byFloor.set(f, [...(byFloor.get(f) ?? []), room]);
  const floorsCount = Math.max(...floor.values());
  if (json) {
    console.log(
      JSON.stringify(
        {
          rooms: graph.rooms.length,
          arrows: arrowCount,
          floors: floorsCount,
          backUp,
          cycles: cycles(graph),
          broken,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(`${graph.rooms.length} rooms, ${arrowCount} arrows, ${floorsCount} floors`);
    for (let f = floorsCount; f >= 1; f--)
      console.log(`  floor ${f}: ${(byFloor.get(f) ?? []).sort().join(", ")}`);
    console.log(
      `arrows back up (inside a cycle): ${backUp.length}${backUp.length ? `\n  ${backUp.join("\n  ")}` : ""}`,
    );
    console.log(`cycles: ${cycles(graph).length}`);
    console.log(broken.length ? `broken rules:\n  ${broken.join("\n  ")}` : "no rule broken");
  }
  process.exitCode = broken.length ? 1 : 0;
}
