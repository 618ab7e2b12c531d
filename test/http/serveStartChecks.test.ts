/**
 * `atelier serve` refuses bad set-ups before it loads the engine, with one line naming the flag
 * (exit 2): unreadable or mismatched TLS files, `--allowed-origin` values that could never match,
 * and plain HTTP on a non-loopback address without `--insecure-http`; and a SIGTERM in its first
 * half second, before any command code has loaded, still exits 0. The weights given do not exist:
 * a check that happened after the engine load would answer with the weights error instead.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { originOption, readTls } from '../../companion/src/cli/serve.js';
import { UsageError } from '../../companion/src/cli/usageError.js';
import { tempDir } from '../helpers/tempDir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repoRoot, 'bin/atelier.js');
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** Runs `atelier serve ARGS` with weights that do not exist; resolves with its exit and output. */
function serve(args: string[], { killAfterMs }: { killAfterMs?: number } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const dir = tempDir('atelier-start-');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--backend', 'cpu', '--weights', path.join(dir, 'missing.h5'), '--data-dir', path.join(dir, 'data'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGTERM'), killAfterMs);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function keyAndCert(dir: string, name: string): { cert: string; key: string } {
  const [cert, key] = [path.join(dir, `${name}.crt`), path.join(dir, `${name}.key`)];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('TLS files are checked before the engine loads', () => {
  it('a certificate file that is not one: exit 2 naming --tls-cert and the file', async () => {
    const dir = tempDir('atelier-tlsbad-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    writeFileSync(cert, 'not a certificate\n');
    writeFileSync(key, 'not a key either\n');
    const r = await serve(['--tls-cert', cert, '--tls-key', key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--tls-cert ${cert}: not a certificate`);
    expect(r.stderr).not.toMatch(/weights/);
  });

  it.skipIf(!hasOpenssl)('a key that is not a key, or the key of another certificate, names --tls-key', () => {
    const dir = tempDir('atelier-tlspair-');
    const a = keyAndCert(dir, 'a');
    const b = keyAndCert(dir, 'b');
    expect(readTls({ tlsCert: a.cert, tlsKey: a.key })?.cert.length).toBeGreaterThan(0);
    expect(usageMessage(() => readTls({ tlsCert: a.cert, tlsKey: b.key }))).toBe(`--tls-key ${b.key}: not the private key of the certificate in --tls-cert ${a.cert}`);
    expect(usageMessage(() => readTls({ tlsCert: a.cert, tlsKey: a.cert }))).toMatch(new RegExp(`^--tls-key ${a.cert}: not an unencrypted private key`));
    expect(usageMessage(() => readTls({ tlsCert: path.join(dir, 'none.crt'), tlsKey: a.key }))).toMatch(/^--tls-cert .*none\.crt: cannot read it \(ENOENT\)/);
  });
});

describe('--allowed-origin takes exactly one web origin', () => {
  it('refuses a wildcard, a list, a missing scheme, a path; keeps the origin as browsers send it', () => {
    expect(usageMessage(() => originOption('*', []))).toMatch(/wildcards are not accepted/);
    expect(usageMessage(() => originOption('https://*.example.com', []))).toMatch(/wildcards/);
    expect(usageMessage(() => originOption('https://a.example.com,https://b.example.com', []))).toMatch(/one origin per flag/);
    expect(usageMessage(() => originOption('studio.example.com', []))).toMatch(/scheme is missing/);
    expect(usageMessage(() => originOption('https://studio.example.com/app', []))).toMatch(/did you mean https:\/\/studio\.example\.com\?/);
    expect(usageMessage(() => originOption('ftp://studio.example.com', []))).toMatch(/only http/);
    expect(originOption('https://Studio.Example.com/', ['http://localhost:3000'])).toEqual(['http://localhost:3000', 'https://studio.example.com']);
  });

  it('`serve --allowed-origin "*"` exits 2 before loading anything', async () => {
    const r = await serve(['--allowed-origin', '*']);
    expect([r.code, r.stderr.trim()]).toEqual([2, "atelier: --allowed-origin '*': wildcards are not accepted; give one origin per flag, like https://studio.example.com"]);
  });
});

describe('plain HTTP on a non-loopback address', () => {
  it('is refused (exit 2) unless --insecure-http is given', async () => {
    const refused = await serve(['--host', '0.0.0.0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--host 0\.0\.0\.0 without TLS: .*--insecure-http/);
    const allowed = await serve(['--host', '0.0.0.0', '--insecure-http']);
    expect(allowed.stderr).toMatch(/weights not found/); // got past the check, to the engine
  });
});

describe('stop signals from the first moment', () => {
  it('SIGTERM half a second after spawn, before the command code has loaded: exit 0', async () => {
    const r = await serve([], { killAfterMs: 500 });
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(r.stdout).toMatch(/SIGTERM during start-up/);
  });
});
