/** Relative-import graphs of TypeScript sources and their import loops (for the module-structure tests). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Every .ts file under `dir`. */
export function tsSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsSources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative imports of a file (static, dynamic, type-only and re-exports), as absolute .ts paths. */
export function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

/** Strongly connected components with more than one file (Tarjan), as paths relative to `root`. */
export function importLoops(files: string[], root: string): string[][] {
  const graph = new Map(files.map((f) => [f, relativeImports(f)]));
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(path.relative(root, w));
    } while (w !== v);
    if (scc.length > 1) found.push(scc.sort());
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return found;
}
