/**
 * The published package, as a user gets it: `npm pack` (prepack builds the compiled CLI and the
 * plugin), installed into an empty project without dev dependencies, then `atelier --help`,
 * `plugin path`, `weights install --from` the real block1-3 weights, `doctor`, a 64-px `stylize` and `serve`
 * answering /v1/health, all from the installed package.
 *
 * Offline-safe: the install takes packages from npm's cache (`--prefer-offline`, filled by the
 * repo's own `npm ci`) and runs no install scripts; the one dependency whose install script builds
 * a native binary (better-sqlite3: compiled from source or fetched from outside the registry) gets
 * the repo's already built binary of the same version instead.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedMissing, sharedPath } from '../helpers/sharedData.js';
import { tempDir } from '../helpers/tempDir.js';
import { PACKAGE_NAME } from '../../shared/defaults.js';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedWeights = sharedPath('models/vgg19-block1-3/vgg19_block1-3_notop.h5');
const sharedAbsent = sharedMissing('models/vgg19-block1-3/vgg19_block1-3_notop.h5', 'images/tubingen.jpg', 'images/starry_night.jpg');
/** What `npm pack` needs from the repo: sources to build from, and what ships. */
const PACK_INPUTS = ['package.json', 'package-lock.json', 'README.md', 'tsconfig.json', 'bin', 'companion', 'shared', 'scripts', 'plugin'];

let project: string;
let tarball: string;
let atelier: string;
let home: string;

/** Runs the installed `atelier` with ATELIER_HOME in the temp dir; resolves to stdout/stderr (rejects on a non-zero exit). */
function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [atelier, ...args], { cwd: project, env: { ...process.env, ATELIER_HOME: home }, timeout: 240_000 }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`atelier ${args.join(' ')} failed: ${err.stderr || err.message}`);
  });
}

beforeAll(async () => {
  // Pack a copy, so that prepack's build never rewrites the checkout's plugin/dist/ under other suites.
  const stage = tempDir('atelier-stage-');
  for (const entry of PACK_INPUTS) cpSync(path.join(repoRoot, entry), path.join(stage, entry), { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(stage, 'node_modules'));
  await run('npm', ['pack', '--pack-destination', stage, '--silent'], { cwd: stage, timeout: 120_000 });
  tarball = path.join(stage, readdirSync(stage).find((f) => f.endsWith('.tgz'))!);

  project = tempDir('atelier-install-');
  home = path.join(project, 'home');
  // better-sqlite3 pinned to the repo's version, whose compiled binary is copied in below.
  const sqlite = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'node_modules/better-sqlite3/package.json'), 'utf8')).version as string;
  writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'empty-project', private: true, overrides: { 'better-sqlite3': sqlite(repoRoot) } })}\n`);
  const started = performance.now();
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund', tarball], {
    cwd: project,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    timeout: 600_000,
  });
  console.log(`packed ${path.basename(tarball)} (${(statSync(tarball).size / 1024).toFixed(0)} KiB); installed into an empty project in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  expect(sqlite(project)).toBe(sqlite(repoRoot));
  const built = 'node_modules/better-sqlite3/build/Release';
  mkdirSync(path.join(project, built), { recursive: true });
  cpSync(path.join(repoRoot, built, 'better_sqlite3.node'), path.join(project, built, 'better_sqlite3.node'));
  atelier = path.join(project, `node_modules/${PACKAGE_NAME}/bin/atelier.js`);
}, 900_000);

describe('the packed package, installed into an empty project', () => {
  it('ships the compiled CLI and the built plugin, and no sources, tests or dev tooling', () => {
    const pkg = path.join(project, 'node_modules', PACKAGE_NAME);
    expect(existsSync(path.join(pkg, 'dist/cli/atelier.mjs'))).toBe(true);
    for (const f of ['main.js', 'ui.html', 'manifest.json']) expect(existsSync(path.join(pkg, 'plugin/dist', f))).toBe(true);
    for (const absent of ['companion', 'test', 'bench', 'scripts', 'shared', '.ci', 'plugin/src', 'plugin/harness']) expect(existsSync(path.join(pkg, absent))).toBe(false);
    expect(existsSync(path.join(project, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(path.join(project, 'node_modules/vitest'))).toBe(false);
  });

  it('atelier --help lists the verbs; plugin path names the shipped manifest', async () => {
    const help = await cli(['--help']);
    for (const verb of ['stylize', 'serve', 'doctor', 'weights', 'plugin']) expect(help.stdout).toContain(verb);
    const { stdout } = await cli(['plugin', 'path']);
    expect(stdout.trim()).toBe(path.join(project, `node_modules/${PACKAGE_NAME}/plugin/dist/manifest.json`));
    expect(JSON.parse(readFileSync(stdout.trim(), 'utf8')).main).toBe('main.js');
  });

  it('weights install --from, doctor, a 64-px stylize, and serve answering /v1/health', async (ctx) => {
    if (sharedAbsent) return ctx.skip(sharedAbsent);
    // Without weights, doctor exits 1 naming the fix as an installed user types it (no npx).
    const before = await run(process.execPath, [atelier, 'doctor', '--json', '--no-backends'], { cwd: project, env: { ...process.env, ATELIER_HOME: home } }).then(
      () => null,
      (err: { code: number; stdout: string }) => err,
    );
    expect(before?.code).toBe(1);
    expect(JSON.parse(before!.stdout).problems[0].fix).toMatch(/^atelier weights install/);
    await cli(['weights', 'install', '--from', sharedWeights]);
    expect(JSON.parse((await cli(['doctor', '--json', '--no-backends'])).stdout)).toMatchObject({ ok: true, weights: { installed: true } });
    const out = path.join(project, 'out.png');
    const { stdout } = await cli(['stylize', sharedPath('images/tubingen.jpg'), sharedPath('images/starry_night.jpg'), '-o', out, '--size', '64', '--iterations', '2', '--backend', 'wasm', '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ backend: 'wasm', width: 64 });
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');

    const serve = spawn(process.execPath, [atelier, 'serve', '--port', '0', '--backend', 'wasm'], { cwd: project, env: { ...process.env, ATELIER_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let text = '';
      serve.stdout.on('data', (d: Buffer) => (text += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
          if (m) {
            clearInterval(poll);
            resolve(m[1]);
          }
        }, 50);
        serve.once('exit', (code) => {
          clearInterval(poll);
          reject(new Error(`serve exited with ${code}: ${text}`));
        });
      });
      const health = await fetch(`${url}/v1/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
    } finally {
      const exited = new Promise((resolve) => serve.once('exit', resolve));
      serve.kill('SIGTERM');
      await exited;
    }
  }, 480_000);
});
