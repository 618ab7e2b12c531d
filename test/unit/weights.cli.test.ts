/** `atelier weights install|status`: exit codes and output, in-process and through the real bin. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../companion/src/cli.js';
import { makeRawLayers, writeKerasH5 } from '../helpers/kerasH5.js';

const root = mkdtempSync(path.join(tmpdir(), 'atelier-weights-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repoRoot = path.resolve(import.meta.dirname, '../..');

let home: string;
let n = 0;
const savedHome = process.env.ATELIER_HOME;
beforeEach(() => {
  home = path.join(root, `home${n++}`);
  process.env.ATELIER_HOME = home;
});
afterEach(() => {
  if (savedHome === undefined) delete process.env.ATELIER_HOME;
  else process.env.ATELIER_HOME = savedHome;
  process.exitCode = undefined;
});

/** Runs the CLI in-process, capturing stdout and stderr. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

describe('atelier weights', () => {
  it('status without weights: says how to install, exit 0 (text and --json)', async () => {
    const text = await run('weights', 'status');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/not installed/);
    expect(text.out).toContain('npx atelier weights install');
    const json = await run('weights', 'status', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ installed: false, path: null, format: null, layers: [], source: null, install: 'npx atelier weights install' });
  });

  it('install --from FILE, then status reports the layers', async () => {
    const src = path.join(root, 'two.h5');
    await writeKerasH5(src, makeRawLayers(2, 4));
    const inst = await run('weights', 'install', '--from', src);
    expect(inst.code).toBe(0);
    expect(inst.err).toMatch(/installed VGG-19 weights: block1_conv1\.\.block1_conv2 \(2 layers\)/);
    const json = await run('weights', 'status', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      installed: true,
      path: path.join(home, 'weights', 'vgg19_notop.h5'),
      format: 'keras-h5',
      layers: ['block1_conv1', 'block1_conv2'],
      source: src,
    });
    const text = await run('weights', 'status');
    expect(text.out).toMatch(/layers: +block1_conv1\.\.block1_conv2 \(2 layers\)/);
    const again = await run('weights', 'install', '--from', src);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/already installed.*--force/);
  });

  it('bad input: exit 2 with one line', async () => {
    const missing = await run('weights', 'install', '--from', path.join(root, 'nope.h5'));
    expect(missing.code).toBe(2);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    expect(missing.err).toMatch(/does not exist/);
    const md5 = await run('weights', 'install', '--md5', 'xyz');
    expect(md5.code).toBe(2);
    expect(md5.err).toMatch(/--md5: expected 32 hexadecimal digits/);
  });

  it('through the real bin: `atelier weights status --json`', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin/atelier.js'), 'weights', 'status', '--json'], {
      env: { ...process.env, ATELIER_HOME: home },
      cwd: repoRoot,
    });
    expect(JSON.parse(stdout)).toMatchObject({ installed: false, home });
  });
});
