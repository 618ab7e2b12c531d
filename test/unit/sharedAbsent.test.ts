/**
 * A plain clone has no `../shared` (real weights, photos, the PyTorch references): its tests must
 * pass, those that need the data skipping with a reason. Checked for real: the test files are
 * copied into a temporary repository whose other entries link back to this one, so `../shared`
 * beside it does not exist, and the files that read shared data run there in a child vitest.
 */
import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tempDir.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const TESTS = path.join(repoRoot, 'test');
const HELPER = path.join(TESTS, 'helpers/sharedData.ts');
const SELF = path.join(TESTS, 'unit/sharedAbsent.test.ts');

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? testSources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Paths into ../shared's data, written anywhere but the helper. */
const SHARED_DATA_PATH = /\bshared\/(images|models|bench)\b|'\.\.\/\.\.\/\.\.\/shared'/;

/** Test files that read ../shared data (through the helper), and the ones that once read it directly. */
function sharedDataTests(): string[] {
  const through = testSources(TESTS).filter((f) => f.endsWith('.test.ts') && f !== SELF && /from '\.\.\/helpers\/sharedData\.js'/.test(readFileSync(f, 'utf8')));
  // Left out for time (minutes each: pack.test.ts packs and installs the project, weights.install.test.ts
  // serves and installs weights); their shared parts skip like the others, and the check above holds for them.
  const slow = ['package/pack.test.ts', 'unit/weights.install.test.ts'].map((f) => path.join(TESTS, f));
  const formerly = [path.join(TESTS, 'unit/gpuCuda.test.ts')];
  return [...new Set([...through.filter((f) => !slow.includes(f)), ...formerly])].map((f) => path.relative(repoRoot, f));
}

/** This process's environment without vitest's own markers (a child vitest must not think it runs inside a worker). */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TEST$|NODE_ENV$)/.test(k)));
}

describe('tests without ../shared', () => {
  it('reach shared data only through test/helpers/sharedData.ts', () => {
    const direct = testSources(TESTS).filter((f) => f !== HELPER && SHARED_DATA_PATH.test(readFileSync(f, 'utf8')));
    expect(direct.map((f) => path.relative(repoRoot, f))).toEqual([]);
  });

  it('pass, skipping with a reason, in a repository with no ../shared beside it', async () => {
    const root = path.join(tempDir('atelier-noshared-'), 'repo');
    cpSync(TESTS, path.join(root, 'test'), { recursive: true });
    for (const entry of readdirSync(repoRoot)) {
      if (entry !== 'test' && entry !== '.git') symlinkSync(path.join(repoRoot, entry), path.join(root, entry));
    }
    const files = sharedDataTests();
    expect(files.length).toBeGreaterThan(3);
    const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
    const result = await run(process.execPath, [vitest, 'run', '--reporter', 'verbose', ...files], { cwd: root, env: childEnv(), maxBuffer: 2 ** 26 }).catch(
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    const out = `${result.stdout}\n${result.stderr}`;
    expect('code' in result ? out : 0).toBe(0);
    expect(out).toMatch(/shared data absent: .*shared\/images\/tubingen\.jpg/);
    expect(out).toMatch(/skipped/);
  }, 300_000);
});
