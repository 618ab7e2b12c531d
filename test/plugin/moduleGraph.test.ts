/**
 * The plugin's module graph: no import loop in plugin/ (the harness included, type-only imports
 * included), and the Figma glue only in main.ts and plugin/src/figma/ — logic/ and ui/ never
 * import it, and main.ts stays a short entry that wires events to named handlers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLoops, relativeImports, tsSources } from '../helpers/moduleGraph.js';

const PLUGIN = path.resolve(import.meta.dirname, '../../plugin');
const files = tsSources(PLUGIN).filter((f) => !f.includes(`${path.sep}dist${path.sep}`));

describe('plugin module graph', () => {
  it('has no import loop (fakeFigma ↔ fakeNode included)', () => {
    expect(importLoops(files, PLUGIN)).toEqual([]);
  });

  it('keeps the Figma glue out of logic/ and ui/', () => {
    const glue = (f: string) => f.endsWith(`src${path.sep}main.ts`) || f.includes(`src${path.sep}figma${path.sep}`);
    const offenders = files
      .filter((f) => f.includes(`src${path.sep}logic${path.sep}`) || f.includes(`src${path.sep}ui${path.sep}`))
      .flatMap((f) => relativeImports(f).filter(glue).map((g) => `${path.relative(PLUGIN, f)} → ${path.relative(PLUGIN, g)}`));
    expect(offenders).toEqual([]);
  });

  it('has no function longer than 80 lines in the main thread', () => {
    const long: string[] = [];
    for (const f of files.filter((f) => f.endsWith(`src${path.sep}main.ts`) || f.includes(`src${path.sep}figma${path.sep}`))) {
      const lines = readFileSync(f, 'utf8').split('\n');
      let start = -1;
      let name = '';
      for (const [i, line] of lines.entries()) {
        const m = /^export (?:async )?function (\w+)/.exec(line);
        if (m) [start, name] = [i, m[1]];
        if (start >= 0 && line === '}') {
          if (i - start > 80) long.push(`${path.relative(PLUGIN, f)}: ${name} (${i - start} lines)`);
          start = -1;
        }
      }
    }
    expect(long).toEqual([]);
  });
});
