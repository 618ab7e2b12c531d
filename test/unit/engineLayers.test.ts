/**
 * The companion's module graph: no import loop anywhere in companion/src (type-only imports
 * included), and the engine's folders are its pipeline — image → network → loss → evaluate →
 * optimise → schedule → stylize.ts — each importing only from its own stage or earlier ones, the
 * runtime glue (runtime/) imported by no stage, and neither the stages nor the contract reaching
 * outside the engine (the protocol in the top-level shared/ and packages excepted). The runtime
 * glue may use the companion's io (its wasm worker scripts are files).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../companion/src');
const ENGINE = path.join(SRC, 'engine');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative imports of a file (static, dynamic, type-only and re-exports), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]));
const rel = (f: string) => path.relative(SRC, f);

/** Strongly connected components with more than one file (Tarjan). */
function cycles(): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
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
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(rel(w));
      } while (w !== v);
      if (scc.length > 1) found.push(scc);
    }
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return found;
}

/** The engine's pipeline stages, earliest first; the driver is engine/stylize.ts. */
const STAGES = ['image', 'network', 'loss', 'evaluate', 'optimise', 'schedule'];
/** The engine's contract, which any stage may use: request/result types, errors, cancellation. */
const CONTRACT = ['types.ts', 'errors.ts', 'cancel.ts'].map((f) => path.join(ENGINE, f));

function stageOf(file: string): number | 'runtime' | 'contract' | 'outside' {
  if (!file.startsWith(ENGINE + path.sep)) return 'outside';
  if (CONTRACT.includes(file)) return 'contract';
  const top = path.relative(ENGINE, file).split(path.sep)[0];
  if (top === 'runtime') return 'runtime';
  if (top === 'stylize.ts') return STAGES.length;
  const i = STAGES.indexOf(top);
  if (i < 0) throw new Error(`engine/${top} is in no stage: add it to the pipeline or to runtime/`);
  return i;
}

describe('companion module graph', () => {
  it('has no import loop', () => {
    expect(cycles()).toEqual([]);
  });

  it("keeps the engine's pipeline order: each stage imports only itself, earlier stages and the contract", () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const from = stageOf(file);
      if (typeof from !== 'number') continue;
      for (const dep of deps) {
        const to = stageOf(dep);
        if (to === 'contract') continue;
        if (to === 'runtime') wrong.push(`${rel(file)} → ${rel(dep)} (a stage imports the runtime glue)`);
        else if (to === 'outside') {
          if (!dep.startsWith(path.resolve(SRC, '../../shared'))) wrong.push(`${rel(file)} → ${rel(dep)} (outside the engine)`);
        } else if (to > from) wrong.push(`${rel(file)} → ${rel(dep)} (${STAGES[from] ?? 'stylize'} imports the later stage ${STAGES[to] ?? 'stylize'})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("keeps the engine's contract inside the engine", () => {
    const outside = [...graph].flatMap(([file, deps]) =>
      stageOf(file) === 'contract' ? deps.filter((d) => stageOf(d) === 'outside' && !d.startsWith(path.resolve(SRC, '../../shared'))).map((d) => `${rel(file)} → ${rel(d)}`) : [],
    );
    expect(outside).toEqual([]);
  });
});
