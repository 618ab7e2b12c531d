/**
 * The companion's module graph: no import loop anywhere in companion/src (type-only imports
 * included), and the engine's folders are its pipeline — image → network → loss → evaluate →
 * optimise → schedule → stylize.ts — each importing only from its own stage or earlier ones, the
 * runtime glue (runtime/) imported by no stage, and neither the stages nor the contract reaching
 * outside the engine (the protocol in the top-level shared/ and packages excepted). The runtime
 * glue may use the companion's io (its wasm worker scripts are files).
 *
 * The engine has a front door: the rest of the companion imports only engine/index.ts, or the
 * light door engine/contract.ts (which it re-exports), and the light door loads no compute
 * library. Nothing outside the engine that the engine does not own is imported from below: io and
 * the companion's library modules do not import the CLI.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLoops, relativeImports, tsSources } from '../helpers/moduleGraph.js';

const SRC = path.resolve(import.meta.dirname, '../../companion/src');
const ENGINE = path.join(SRC, 'engine');

/** What a file loads when it runs: its value imports, relative (as .ts paths) and packages (`import type` and `export type` are erased). */
function valueImportsOf(file: string): { relative: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\bfrom\s+)?'([^']+)'|\bimport\s*\(\s*'([^']+)'/gm)].map((m) => m[1] ?? m[2]);
  return {
    relative: specs.filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts')),
    packages: specs.filter((s) => !s.startsWith('.') && !s.startsWith('node:')),
  };
}

const graph = new Map(tsSources(SRC).map((f) => [f, relativeImports(f)]));
const rel = (f: string) => path.relative(SRC, f);

/** The engine's pipeline stages, earliest first; the driver is engine/stylize.ts. */
const STAGES = ['image', 'network', 'loss', 'evaluate', 'optimise', 'schedule'];
/** The engine's contract, which any stage may use: request/result types, errors, cancellation. */
const CONTRACT = ['types.ts', 'errors.ts', 'cancel.ts'].map((f) => path.join(ENGINE, f));
/** The engine's doors: the only engine modules the rest of the companion imports. */
const FRONT_DOOR = path.join(ENGINE, 'index.ts');
const LIGHT_DOOR = path.join(ENGINE, 'contract.ts');

function stageOf(file: string): number | 'runtime' | 'contract' | 'door' | 'outside' {
  if (!file.startsWith(ENGINE + path.sep)) return 'outside';
  if (CONTRACT.includes(file)) return 'contract';
  if (file === FRONT_DOOR || file === LIGHT_DOOR) return 'door';
  const top = path.relative(ENGINE, file).split(path.sep)[0];
  if (top === 'runtime') return 'runtime';
  if (top === 'stylize.ts') return STAGES.length;
  const i = STAGES.indexOf(top);
  if (i < 0) throw new Error(`engine/${top} is in no stage: add it to the pipeline or to runtime/`);
  return i;
}

describe('companion module graph', () => {
  it('has no import loop', () => {
    expect(importLoops([...graph.keys()], SRC)).toEqual([]);
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
        else if (to === 'door') wrong.push(`${rel(file)} → ${rel(dep)} (a stage imports the engine's door)`);
        else if (to === 'outside') {
          if (!dep.startsWith(path.resolve(SRC, '../../shared'))) wrong.push(`${rel(file)} → ${rel(dep)} (outside the engine)`);
        } else if (to > from) wrong.push(`${rel(file)} → ${rel(dep)} (${STAGES[from] ?? 'stylize'} imports the later stage ${STAGES[to] ?? 'stylize'})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('is entered from outside only through its doors, engine/index.ts and the light engine/contract.ts', () => {
    const inside = [...graph].flatMap(([file, deps]) =>
      stageOf(file) === 'outside' ? deps.filter((d) => d.startsWith(ENGINE + path.sep) && d !== FRONT_DOOR && d !== LIGHT_DOOR).map((d) => `${rel(file)} → ${rel(d)}`) : [],
    );
    expect(inside).toEqual([]);
  });

  it('keeps the light door light: nothing it loads imports TF.js, ONNX Runtime, Dawn or sharp', () => {
    const heavy = /^(@tensorflow\/|onnxruntime|webgpu$|sharp$|h5wasm$)/;
    const seen = new Set<string>();
    const found: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const { relative, packages } = valueImportsOf(file);
      for (const p of packages) if (heavy.test(p)) found.push(`${path.relative(SRC, file)} → ${p}`);
      for (const r of relative) visit(r);
    };
    visit(LIGHT_DOOR);
    expect(seen.size).toBeGreaterThan(3);
    expect(found).toEqual([]);
  });

  it('has no upward import: io and the library modules do not import the CLI', () => {
    const cli = path.join(SRC, 'cli');
    const upward = [...graph].flatMap(([file, deps]) =>
      file.startsWith(cli + path.sep) || file === path.join(SRC, 'cli.ts') ? [] : deps.filter((d) => d.startsWith(cli + path.sep) || d === path.join(SRC, 'cli.ts')).map((d) => `${rel(file)} → ${rel(d)}`),
    );
    expect(upward).toEqual([]);
    const io = [...graph].flatMap(([file, deps]) => (file.startsWith(path.join(SRC, 'io') + path.sep) ? deps.filter((d) => d.startsWith(ENGINE + path.sep)).map((d) => `${rel(file)} → ${rel(d)}`) : []));
    expect(io).toEqual([]);
  });

  it("keeps the engine's contract inside the engine", () => {
    const outside = [...graph].flatMap(([file, deps]) =>
      stageOf(file) === 'contract' ? deps.filter((d) => stageOf(d) === 'outside' && !d.startsWith(path.resolve(SRC, '../../shared'))).map((d) => `${rel(file)} → ${rel(d)}`) : [],
    );
    expect(outside).toEqual([]);
  });
});
