/**
 * The data dir: one resolver (io/dataDir.ts's resolveDataDir), and every command that uses the data
 * dir — serve, doctor, token, teams, presets, weights — ends up in the same absolute folder for the
 * same environment and `--data-dir` flag, also when $ATELIER_HOME or the flag is relative (some
 * commands used to print such a path relative, others absolute, and doctor looped forever on one).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../companion/src/cli.js';
import { resolveDataDir } from '../../companion/src/io/dataDir.js';
import { PRESETS_DB_FILE } from '../../companion/src/presets/db.js';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
import { tempDir } from '../helpers/tempDir.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repoRoot, 'bin/atelier.js');

describe('resolveDataDir', () => {
  it('--data-dir, else $ATELIER_HOME (blanks ignored), else ~/.atelier; always absolute; creates nothing', () => {
    const home = path.join(os.tmpdir(), 'atelier-nowhere-home');
    expect(resolveDataDir('/d/flag', { ATELIER_HOME: '/d/env', HOME: home })).toBe(path.resolve('/d/flag'));
    expect(resolveDataDir(undefined, { ATELIER_HOME: ' /d/env ', HOME: home })).toBe(path.resolve('/d/env'));
    expect(resolveDataDir(undefined, { ATELIER_HOME: '  ', HOME: home })).toBe(path.join(home, '.atelier'));
    expect(resolveDataDir(undefined, { HOME: home })).toBe(path.join(home, '.atelier'));
    expect(resolveDataDir('rel', {})).toBe(path.join(process.cwd(), 'rel'));
    expect(resolveDataDir(undefined, { ATELIER_HOME: 'rel' })).toBe(path.join(process.cwd(), 'rel'));
    expect(existsSync(home)).toBe(false);
  });
});

/** Runs the CLI in this process; resolves to what it printed (exit code, stdout, stderr). */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [stdout, stderr] = [process.stdout.write, process.stderr.write];
  let out = '';
  let err = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    [process.stdout.write, process.stderr.write] = [stdout, stderr];
    process.exitCode = undefined; // doctor sets it when the default job cannot run (no weights here)
  }
}

/** A small TF.js weights directory. */
function smallWeights(): string {
  const weights = path.join(tempDir('atelier-datadir-w-'), 'model');
  writeTfjsDir(weights, makeRawLayers(2, 2));
  return weights;
}

/**
 * `atelier serve` in a child process until it prints its pairing token line; resolves to that line
 * (`weights`: passed as --weights; null: none, the data dir's installed weights are used).
 */
function serveTokenLine(cwd: string, env: NodeJS.ProcessEnv, args: string[], weights: string | null = smallWeights()): Promise<string> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--backend', 'cpu', ...(weights ? ['--weights', weights] : []), '--log-level', 'warn', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^pairing token: .*$/m.exec(out)?.[0];
      if (line) {
        child.kill('SIGTERM');
        resolve(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before printing its token: ${err.trim()}`)));
  });
}

/**
 * The data dir each command used, as it printed it or as its files show, with the working directory
 * `cwd` and `env` in place of this process's environment; `flag` is passed as `--data-dir` to the
 * commands that take it (then `weights status`, which does not, is left out).
 */
async function dirsUsed(cwd: string, env: NodeJS.ProcessEnv, flag?: string): Promise<Record<string, string>> {
  const childEnv = { ...env, PATH: process.env.PATH };
  const serve = await serveTokenLine(cwd, childEnv, flag ? ['--data-dir', flag] : []);
  const saved = { env: process.env, cwd: process.cwd() };
  process.env = childEnv;
  process.chdir(cwd);
  try {
    const flagArgs = flag ? ['--data-dir', flag] : [];
    const dirs: Record<string, string> = {};
    dirs.serve = path.dirname(/stored in (\S+)\)/.exec(serve)?.[1] ?? `(no token path in "${serve}")`);
    const rotate = await cli(['token', 'rotate', ...flagArgs]);
    dirs['token rotate'] = path.dirname(/stored in (\S+);/.exec(rotate.err)?.[1] ?? `(no path in "${rotate.err}")`);
    const doctor = await cli(['doctor', '--json', '--no-backends', '--port', '0', ...flagArgs]);
    const report = JSON.parse(doctor.out) as { dataDir: { path: string }; token: { path: string } };
    dirs.doctor = report.dataDir.path;
    dirs['doctor (token)'] = path.dirname(report.token.path);
    const teams = await cli(['teams', 'create', 'design', ...flagArgs]);
    expect(teams.code, teams.err).toBe(0);
    const presets = await cli(['presets', 'list', '--json', ...flagArgs]);
    expect(presets.code, presets.err).toBe(0);
    // Both open the preset store; where its database is says which folder they used.
    dirs['teams, presets'] = existsSync(path.join(dirs.doctor, PRESETS_DB_FILE)) ? dirs.doctor : '(no presets database there)';
    if (!flag) dirs['weights status'] = (JSON.parse((await cli(['weights', 'status', '--json'])).out) as { home: string }).home;
    return dirs;
  } finally {
    process.chdir(saved.cwd);
    process.env = saved.env;
  }
}

describe('every command resolves the same data dir', () => {
  const savedEnv = process.env;
  afterEach(() => {
    process.env = savedEnv;
  });

  const expectAll = (dirs: Record<string, string>, expected: string): void => {
    expect(dirs).toEqual(Object.fromEntries(Object.keys(dirs).map((k) => [k, expected])));
  };

  it('from $HOME/.atelier when nothing is set', async () => {
    const cwd = realpathSync(tempDir('atelier-datadir-'));
    const home = path.join(cwd, 'user');
    expectAll(await dirsUsed(cwd, { HOME: home }), path.join(home, '.atelier'));
  });

  it('from a relative $ATELIER_HOME, resolved against the working directory', async () => {
    const cwd = realpathSync(tempDir('atelier-datadir-'));
    expectAll(await dirsUsed(cwd, { HOME: path.join(cwd, 'user'), ATELIER_HOME: './env-home' }), path.join(cwd, 'env-home'));
  });

  it('from a relative --data-dir, which wins over $ATELIER_HOME', async () => {
    const cwd = realpathSync(tempDir('atelier-datadir-'));
    expectAll(await dirsUsed(cwd, { HOME: path.join(cwd, 'user'), ATELIER_HOME: './env-home' }, './flag-home'), path.join(cwd, 'flag-home'));
    expect(existsSync(path.join(cwd, 'env-home', 'token'))).toBe(false);
  });

  it('serve --data-dir D loads the weights installed in D, as doctor looks for them there', async () => {
    const cwd = realpathSync(tempDir('atelier-datadir-'));
    const flagHome = path.join(cwd, 'flag-home');
    const env = { HOME: path.join(cwd, 'user'), ATELIER_HOME: path.join(cwd, 'env-home') };
    // Installed into D (weights install follows $ATELIER_HOME), nothing under $ATELIER_HOME.
    const installed = spawnSync(process.execPath, [bin, 'weights', 'install', '--from', smallWeights()], { env: { ...env, ATELIER_HOME: flagHome, PATH: process.env.PATH }, encoding: 'utf8' });
    expect(installed.status, installed.stderr).toBe(0);
    const line = await serveTokenLine(cwd, { ...env, PATH: process.env.PATH }, ['--data-dir', flagHome], null);
    expect(line).toContain(path.join(flagHome, 'token'));
  });
});
