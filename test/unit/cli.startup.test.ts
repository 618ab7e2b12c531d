/**
 * What the `atelier` command loads and prints: verbs that compute nothing load none of TF.js,
 * ONNX Runtime, Dawn, sharp or h5wasm; a stylization prints the backend choice once, in one line,
 * and none of Dawn's native warnings unless at log level debug.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
import { sharedMissing, sharedPath } from '../helpers/sharedData.js';
import { tempDir } from '../helpers/tempDir.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
/** Lines Dawn writes to file descriptor 2 when it looks for Vulkan adapters (no GPU, or lavapipe). */
const DAWN_NOISE = /^(error: XDG_RUNTIME_DIR|Warning: |\s+- While initializing adapter)/m;

async function heavyModulesOf(args: string[], home: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/cliModulesChild.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ATELIER_HOME: home },
  });
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { code: number; heavy: string[] };
  expect(report.code).toBe(0);
  return report.heavy;
}

describe('atelier startup', () => {
  it.each([[['--help']], [['token', 'show']], [['presets', 'list']], [['help', 'stylize']], [['plugin', '--help']]])('%j loads no compute library', async (args) => {
    expect(await heavyModulesOf(args, tempDir('atelier-startup-'))).toEqual([]);
  });

  it('weights install --from a TF.js model prints no TF.js advice', async () => {
    const home = tempDir('atelier-quiet-');
    writeTfjsDir(path.join(home, 'src'), makeRawLayers(4, 2));
    const { stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/atelier.js'), 'weights', 'install', '--from', path.join(home, 'src')], {
      cwd: repoRoot,
      env: { ...process.env, ATELIER_HOME: home, ATELIER_LOG_LEVEL: 'info' },
    });
    expect(stderr).toMatch(/installed VGG-19 weights/);
    expect(stderr).not.toMatch(/looks like you are running TensorFlow\.js/);
  });

  it('stylize: one "backend:" line, no native noise; --log-level debug lets it through', async (ctx) => {
    const missing = sharedMissing('images/tubingen.jpg', 'images/starry_night.jpg');
    if (missing) return ctx.skip(missing);
    const home = tempDir('atelier-noise-');
    const weights = path.join(home, 'w');
    writeTfjsDir(weights, makeRawLayers(16, 4));
    const args = [path.join(repoRoot, 'bin/atelier.js'), 'stylize', sharedPath('images/tubingen.jpg'), sharedPath('images/starry_night.jpg'), '-o', path.join(home, 'o.png')];
    const flags = ['--size', '32', '--iterations', '1', '--weights', weights, '--backend', 'auto'];
    const quiet = await run(process.execPath, [...args, ...flags], { cwd: repoRoot, env: { ...process.env, ATELIER_HOME: home, ATELIER_LOG_LEVEL: 'info' } });
    expect(quiet.stderr).not.toMatch(DAWN_NOISE);
    const backendLines = quiet.stderr.split('\n').filter((l) => l.startsWith('backend: '));
    expect(backendLines).toHaveLength(1);
    expect(backendLines[0]).toMatch(/^backend: \S+ on .+; skipped \S+: .*; webgpu: /);
    expect(quiet.stderr).not.toMatch(/looks like you are running TensorFlow\.js/);

    // The same run at debug level shows what Dawn said: proof that the quiet run hid real output.
    const loud = await run(process.execPath, [...args, ...flags, '--backend', 'webgpu'], { cwd: repoRoot, env: { ...process.env, ATELIER_HOME: home, ATELIER_LOG_LEVEL: 'debug' } }).catch(
      (err: { stderr: string }) => err,
    );
    if (!/\[software\]|webgpu on/.test(loud.stderr)) expect(loud.stderr).toMatch(DAWN_NOISE);
  });
});
