/**
 * The repository's import graph and the rules it must keep: top-level folders import only the
 * layers below them, no file imports itself round a cycle, and a folder is entered only through its
 * index.ts (a room: a top-level folder's direct subfolder, such as node/raft). `node scripts/import-graph.ts` prints every breach (exit 1); a test keeps it at none.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Top-level folders from the bottom up: each may import those before it, never those after. */
export const LAYERS = [
  'node',
  'hub',
  'images',
  'dashboards',
  'lab',
  'scenarios',
  'chaos',
  'cli',
  'bench',
  'scripts',
] as const;

/** Folders whose files are imported directly: generated code and the repository's own root. */
const NO_FACE = ['node/gen'];
const SKIP_DIRS = new Set(['node_modules', '.tools', '.git', 'runs', '.lab', 'coverage']);

export interface Breach {
  rule: 'layer' | 'face' | 'cycle' | 'unresolved';
  from: string;
  to: string;
  detail: string;
}

export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (SKIP_DIRS.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

/** Relative specifiers of static imports, re-exports and dynamic imports with a literal. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|[^\w.])(?:import|export)\s*(?:[\w*{},\s]*?\sfrom\s*|\(\s*|\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;
  for (const m of text.matchAll(re)) specs.push(m[2] as string);
  return specs;
}

const topOf = (file: string) => file.split(sep)[0] ?? '';
/** A room is a top-level folder's direct subfolder (node/raft, chaos/nemesis); files at the top stand alone. */
const roomOf = (file: string) => {
  const parts = file.split(sep);
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? '');
};
const layerOf = (file: string) => LAYERS.indexOf(topOf(file) as (typeof LAYERS)[number]);

export function checkImports(root: string): { files: number; edges: number; breaches: Breach[] } {
  const files = sourceFiles(root);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  const breaches: Breach[] = [];
  let edges = 0;
  for (const from of files) {
    const targets: string[] = [];
    for (const spec of importsOf(readFileSync(join(root, from), 'utf8'))) {
      const to = relative(root, resolve(root, dirname(from), spec));
      if (to.startsWith('node/gen/')) continue;
      if (!known.has(to)) {
        breaches.push({ rule: 'unresolved', from, to, detail: `'${spec}' names no source file` });
        continue;
      }
      edges++;
      targets.push(to);
      const [lf, lt] = [layerOf(from), layerOf(to)];
      if (lf >= 0 && lt > lf) {
        breaches.push({ rule: 'layer', from, to, detail: `${topOf(from)} may not import ${topOf(to)}` });
      }
      const room = roomOf(to);
      if (
        room !== roomOf(from) &&
        room !== topOf(to) &&
        to !== `${room}/index.ts` &&
        !NO_FACE.includes(room)
      ) {
        breaches.push({ rule: 'face', from, to, detail: `enter ${room}/ through its index.ts` });
      }
    }
    graph.set(from, targets);
  }
  for (const cycle of cycles(graph)) {
    breaches.push({
      rule: 'cycle',
      from: cycle[0] as string,
      to: cycle.at(-1) as string,
      detail: cycle.join(' → '),
    });
  }
  return { files: files.length, edges, breaches };
}

/** Strongly connected components of more than one file (Tarjan), each as a list of its files. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname, '..');
  const { files, edges, breaches } = checkImports(root);
  for (const b of breaches) console.log(`${b.rule}\t${b.from} → ${b.to}\t${b.detail}`);
  console.log(`${files} files, ${edges} imports, ${breaches.length} breaches`);
  process.exitCode = breaches.length === 0 ? 0 : 1;
}
