/** Weights install: downloads from a local HTTP server (full, resume, no Range, dropped connection, checksum, 404), local copies, status. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDataDir, weightsDir } from '../../companion/src/io/dataDir.js';
import {
  installWeights,
  partPathFor,
  resolveInstalledWeights,
  weightsStatus,
  WeightsError,
  WeightsMissingError,
  type InstallOptions,
} from '../../companion/src/weights/index.js';
import { makeRawLayers, writeKerasH5, writeTfjsDir } from '../helpers/kerasH5.js';
import { sharedMissing, sharedPath } from '../helpers/sharedData.js';

const root = mkdtempSync(path.join(tmpdir(), 'atelier-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let homes = 0;
const newHome = (): string => path.join(root, `home${homes++}`);

const SHARED_H5 = sharedPath('models/vgg19-block1-3/vgg19_block1-3_notop.h5');

/** What the test server does; reset before each test. */
interface ServerMode {
  body: Buffer;
  range: boolean;
  status: number;
  /** Destroy the connection after this many body bytes, on the first request only. */
  dropAfter: number | null;
}
let mode: ServerMode;
const requests: Array<{ range: string | undefined; served: number; status: number }> = [];
let server: Server;
let baseUrl: string;
let fileBody: Buffer;
let fileMd5: string;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const entry = { range: req.headers.range, served: 0, status: mode.status };
  requests.push(entry);
  if (mode.status !== 200) {
    res.writeHead(mode.status, { 'Content-Type': 'text/plain' }).end('nope');
    return;
  }
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (mode.range && m) {
    start = Number(m[1]);
    if (start >= mode.body.length) {
      entry.status = 416;
      res.writeHead(416, { 'Content-Range': `bytes */${mode.body.length}` }).end();
      return;
    }
    entry.status = 206;
    res.writeHead(206, { 'Content-Length': mode.body.length - start, 'Content-Range': `bytes ${start}-${mode.body.length - 1}/${mode.body.length}`, 'Accept-Ranges': 'bytes' });
  } else {
    res.writeHead(200, { 'Content-Length': mode.body.length });
  }
  const rest = mode.body.subarray(start);
  if (mode.dropAfter !== null && requests.length === 1) {
    const cut = rest.subarray(0, mode.dropAfter);
    entry.served = cut.length;
    res.write(cut, () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  entry.served = rest.length;
  res.end(rest);
}

beforeAll(async () => {
  const f = path.join(root, 'served.h5');
  await writeKerasH5(f, makeRawLayers(3, 8), { extraLayers: ['input_1'] });
  fileBody = readFileSync(f);
  fileMd5 = createHash('md5').update(fileBody).digest('hex');
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  mode = { body: fileBody, range: true, status: 200, dropAfter: null };
  requests.length = 0;
});

/** Collects log lines and non-TTY progress output. */
function sinks() {
  const logs: string[] = [];
  const progress: string[] = [];
  const opts: Partial<InstallOptions> = { log: (l) => logs.push(l), progress: { isTTY: false, write: (s) => progress.push(s) }, retryDelayMs: 0 };
  return { logs, progress, opts };
}

function weightsFiles(home: string): string[] {
  const d = path.join(home, 'weights');
  return existsSync(d) ? readdirSync(d).sort() : [];
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WeightsError);
  expect((err as WeightsError).code).toBe(code);
  expect((err as Error).message).toMatch(pattern);
}

describe('installWeights from a URL (local server)', () => {
  it('full download: verified, moved into <home>/weights, manifest written, progress shown', async () => {
    const home = newHome();
    const url = `${baseUrl}/vgg.h5`;
    const { logs, progress, opts } = sinks();
    const r = await installWeights({ ...opts, from: url, home, expectedMd5: fileMd5 });
    expect(r.alreadyInstalled).toBe(false);
    expect(r.path).toBe(path.join(home, 'weights', 'vgg19_notop.h5'));
    expect(readFileSync(r.path).equals(fileBody)).toBe(true);
    expect(r.layers).toEqual(['block1_conv1', 'block1_conv2', 'block2_conv1']);
    expect(weightsFiles(home)).toEqual(['manifest.json', 'vgg19_notop.h5']);
    const manifest = JSON.parse(readFileSync(path.join(home, 'weights', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'keras-h5', source: url, md5: fileMd5, layers: r.layers, bytes: fileBody.length });
    expect(manifest.sha256).toBe(createHash('sha256').update(fileBody).digest('hex'));
    expect(progress.join('')).toMatch(/100\.0%/);
    expect(logs.join('\n')).toMatch(/checksum ok/);
    expect(requests).toHaveLength(1);
    expect(requests[0].range).toBeUndefined();
    expect(statSync(home).mode & 0o777).toBe(0o700);

    const st = weightsStatus({ home });
    expect(st).toMatchObject({ installed: true, path: r.path, format: 'keras-h5', source: url, layers: r.layers });
    expect(resolveInstalledWeights({ home })).toBe(r.path);
  });

  it('a TTY gets a redrawn progress bar with bytes, percent and speed', async () => {
    const out: string[] = [];
    await installWeights({ from: `${baseUrl}/a.h5`, home: newHome(), expectedMd5: fileMd5, progress: { isTTY: true, write: (s) => out.push(s) }, retryDelayMs: 0 });
    const text = out.join('');
    expect(text).toContain('\r');
    expect(text).toMatch(/\[#+\] .*MB .*100\.0% .*MB\/s/);
  });

  it('resumes a truncated .part with an HTTP Range request', async () => {
    const home = newHome();
    const url = `${baseUrl}/resume.h5`;
    const half = Math.floor(fileBody.length / 2);
    const part = partPathFor(path.join(ensureDataDir(home), 'weights'), url);
    mkdirpWeights(home);
    writeFileSync(part, fileBody.subarray(0, half));
    const { logs, opts } = sinks();
    const r = await installWeights({ ...opts, from: url, home, expectedMd5: fileMd5 });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ range: `bytes=${half}-`, status: 206, served: fileBody.length - half });
    expect(readFileSync(r.path).equals(fileBody)).toBe(true);
    expect(logs.join('\n')).toMatch(/resuming download/);
    expect(existsSync(part)).toBe(false);
  });

  it('starts over when the server ignores Range', async () => {
    mode.range = false;
    const home = newHome();
    const url = `${baseUrl}/norange.h5`;
    mkdirpWeights(home);
    writeFileSync(partPathFor(path.join(home, 'weights'), url), fileBody.subarray(0, 100));
    const { logs, opts } = sinks();
    const r = await installWeights({ ...opts, from: url, home, expectedMd5: fileMd5 });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ range: 'bytes=100-', status: 200, served: fileBody.length });
    expect(readFileSync(r.path).equals(fileBody)).toBe(true);
    expect(logs.join('\n')).toMatch(/does not support resuming/);
  });

  it('retries after a dropped connection, resuming where it stopped', async () => {
    mode.dropAfter = 1000;
    const home = newHome();
    const { logs, opts } = sinks();
    const r = await installWeights({ ...opts, from: `${baseUrl}/drop.h5`, home, expectedMd5: fileMd5 });
    expect(requests.map((q) => q.range)).toEqual([undefined, 'bytes=1000-']);
    expect(readFileSync(r.path).equals(fileBody)).toBe(true);
    expect(logs.join('\n')).toMatch(/connection lost after 1000 bytes.*retrying/);
  });

  it('a resumed .part of another file fails the checksum once, then downloads cleanly', async () => {
    const home = newHome();
    const url = `${baseUrl}/stale.h5`;
    mkdirpWeights(home);
    writeFileSync(partPathFor(path.join(home, 'weights'), url), Buffer.alloc(500, 7));
    const { logs, opts } = sinks();
    const r = await installWeights({ ...opts, from: url, home, expectedMd5: fileMd5 });
    expect(requests.map((q) => q.range)).toEqual(['bytes=500-', undefined]);
    expect(readFileSync(r.path).equals(fileBody)).toBe(true);
    expect(logs.join('\n')).toMatch(/checksum mismatch after resuming/);
  });

  it('checksum mismatch: error, and no file left behind', async () => {
    const home = newHome();
    const { opts } = sinks();
    await rejectsWith(installWeights({ ...opts, from: `${baseUrl}/bad.h5`, home, expectedMd5: '0'.repeat(32) }), 'checksum_mismatch', new RegExp(`md5 ${fileMd5}, expected 0{32}; the downloaded file was deleted`));
    expect(weightsFiles(home)).toEqual([]);
    expect(weightsStatus({ home }).installed).toBe(false);
  });

  it('404: a clear error, nothing installed, no retries', async () => {
    mode.status = 404;
    const home = newHome();
    const { opts } = sinks();
    await rejectsWith(installWeights({ ...opts, from: `${baseUrl}/missing.h5`, home }), 'download_failed', /HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/missing\.h5/);
    expect(requests).toHaveLength(1);
    expect(weightsFiles(home)).toEqual([]);
  });

  it('5xx: retried, then a clear error that says to run it again', async () => {
    mode.status = 503;
    const home = newHome();
    const { opts } = sinks();
    await rejectsWith(installWeights({ ...opts, from: `${baseUrl}/busy.h5`, home, retries: 2 }), 'download_failed', /HTTP 503.*run the command again/);
    expect(requests).toHaveLength(3);
  });

  it('a download that is not Keras weights is deleted', async () => {
    mode.body = Buffer.from('<html>sign in first</html>');
    const home = newHome();
    const { opts } = sinks();
    await rejectsWith(installWeights({ ...opts, from: `${baseUrl}/page.h5`, home }), 'bad_weights', /not usable Keras VGG-19 weights and was deleted/);
    expect(weightsFiles(home)).toEqual([]);
  });

  it('already installed: no download unless --force', async () => {
    const home = newHome();
    const { opts } = sinks();
    await installWeights({ ...opts, from: `${baseUrl}/x.h5`, home, expectedMd5: fileMd5 });
    requests.length = 0;
    const again = await installWeights({ ...opts, from: `${baseUrl}/x.h5`, home, expectedMd5: fileMd5 });
    expect(again.alreadyInstalled).toBe(true);
    expect(requests).toHaveLength(0);
    const forced = await installWeights({ ...opts, from: `${baseUrl}/x.h5`, home, expectedMd5: fileMd5, force: true });
    expect(forced.alreadyInstalled).toBe(false);
    expect(requests).toHaveLength(1);
  });
});

function mkdirpWeights(home: string): void {
  weightsDir(ensureDataDir(home));
}

describe('installWeights from local files', () => {
  it('--from FILE (.h5) copies and validates; --from DIR (TF.js) replaces it', async () => {
    const home = newHome();
    const src = path.join(root, 'local.h5');
    await writeKerasH5(src, makeRawLayers(2, 4));
    const { opts } = sinks();
    const a = await installWeights({ ...opts, from: src, home });
    expect(a).toMatchObject({ format: 'keras-h5', source: src, layers: ['block1_conv1', 'block1_conv2'] });
    expect(readFileSync(a.path).equals(readFileSync(src))).toBe(true);

    const dir = path.join(root, 'local-tfjs');
    writeTfjsDir(dir, makeRawLayers(3, 4));
    writeFileSync(path.join(dir, 'unrelated.txt'), 'not copied');
    const b = await installWeights({ ...opts, from: dir, home, force: true });
    expect(b).toMatchObject({ format: 'tfjs-layers', layers: ['block1_conv1', 'block1_conv2', 'block2_conv1'] });
    expect(b.path).toBe(path.join(home, 'weights', 'vgg19_tfjs'));
    expect(readdirSync(b.path).sort()).toEqual(['group1-shard1of1', 'group2-shard1of1', 'group3-shard1of1', 'model.json']);
    expect(weightsFiles(home)).toEqual(['manifest.json', 'vgg19_tfjs']);
    expect(weightsStatus({ home })).toMatchObject({ installed: true, format: 'tfjs-layers', path: b.path, source: dir });
  });

  it('installs the real block1-3 .h5 from ../shared when present', async (ctx) => {
    const missing = sharedMissing('models/vgg19-block1-3/vgg19_block1-3_notop.h5');
    if (missing) return ctx.skip(missing);
    const home = newHome();
    const r = await installWeights({ from: SHARED_H5, home, log: () => {} });
    expect(r.layers).toHaveLength(8);
    expect(r.layers.at(-1)).toBe('block3_conv4');
  });

  it('a bad source is refused and the current install stays', async () => {
    const home = newHome();
    const good = path.join(root, 'good.h5');
    await writeKerasH5(good, makeRawLayers(1, 2));
    await installWeights({ from: good, home, log: () => {} });
    const bad = path.join(root, 'bad.h5');
    const layers = makeRawLayers(2, 2);
    layers[1] = { ...layers[1], kernel: new Float32Array(9 * 3 * 2), kernelShape: [3, 3, 3, 2] };
    await writeKerasH5(bad, layers);
    await rejectsWith(installWeights({ from: bad, home, force: true, log: () => {} }), 'bad_weights', /block1_conv2.*takes 3 input channels/);
    await rejectsWith(installWeights({ from: path.join(root, 'nope.h5'), home, force: true, log: () => {} }), 'weights_not_found', /does not exist/);
    expect(weightsStatus({ home })).toMatchObject({ installed: true, layers: ['block1_conv1'] });
    expect(weightsFiles(home)).toEqual(['manifest.json', 'vgg19_notop.h5']);
  });

  it('an explicit md5 is checked for local files too', async () => {
    const src = path.join(root, 'md5.h5');
    await writeKerasH5(src, makeRawLayers(1, 2));
    const home = newHome();
    await rejectsWith(installWeights({ from: src, home, expectedMd5: 'f'.repeat(32), log: () => {} }), 'checksum_mismatch', /expected f{32}/);
    expect(weightsFiles(home)).toEqual([]);
  });
});

describe('resolveInstalledWeights / ensureDataDir', () => {
  it('no weights: WeightsMissingError, one line with the command to run', () => {
    const home = newHome();
    let err: unknown;
    try {
      resolveInstalledWeights({ home });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WeightsMissingError);
    expect((err as WeightsMissingError).code).toBe('weights_missing');
    expect((err as Error).message).toContain('npx atelier weights install');
    expect((err as Error).message).toContain('--weights PATH');
    expect((err as Error).message).not.toContain('\n');
    expect(weightsStatus({ home })).toMatchObject({ installed: false, path: null, layers: [] });
  });

  it('an explicit weightsPath is used when it exists, and refused clearly when not', () => {
    expect(resolveInstalledWeights({ weightsPath: root, home: newHome() })).toBe(root);
    expect(() => resolveInstalledWeights({ weightsPath: path.join(root, 'none.h5') })).toThrow(/does not exist.*npx atelier weights install/);
  });

  it('a manifest whose file vanished counts as not installed', async () => {
    const home = newHome();
    const src = path.join(root, 'vanish.h5');
    await writeKerasH5(src, makeRawLayers(1, 2));
    const r = await installWeights({ from: src, home, log: () => {} });
    rmSync(r.path);
    expect(weightsStatus({ home }).installed).toBe(false);
    expect(() => resolveInstalledWeights({ home })).toThrow(WeightsMissingError);
  });

  it('ensureDataDir uses $ATELIER_HOME, creates it 0700, defaults to ~/.atelier', () => {
    const h = path.join(root, 'custom-home', 'nested');
    expect(ensureDataDir(undefined, { ATELIER_HOME: h })).toBe(h);
    expect(statSync(h).mode & 0o777).toBe(0o700);
    const fakeUserHome = path.join(root, 'userhome');
    expect(ensureDataDir(undefined, { HOME: fakeUserHome, ATELIER_HOME: '' })).toBe(path.join(fakeUserHome, '.atelier'));
    expect(statSync(path.join(fakeUserHome, '.atelier')).mode & 0o777).toBe(0o700);
  });
});
