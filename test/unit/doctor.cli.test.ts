/** `atelier doctor`: the JSON report, exit code 1 with the fix named when the default job cannot run, timed backends. */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../companion/src/doctor.js';
import { initBackend } from '../../companion/src/engine/runtime/backend.js';
import { quietWebGpuProbe } from '../../companion/src/gpuProbe.js';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
import { tempDir } from '../helpers/tempDir.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repoRoot, 'bin/atelier.js');

/** Runs the real command; resolves with the exit code whatever it is. */
async function atelier(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, ATELIER_HOME: home } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('atelier doctor', () => {
  it('without weights: exit 1, and the problem names the install command', async () => {
    const home = tempDir('atelier-doctor-');
    const { code, stdout } = await atelier(['doctor', '--json', '--no-backends'], home);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(report.node.ok).toBe(true);
    expect(report.weights.installed).toBe(false);
    expect(report.problems.map((p) => p.fix).join('\n')).toMatch(/atelier weights install/);
    expect(report.dataDir).toEqual({ path: home, exists: true, writable: true });
    expect(report.token.present).toBe(false);
  });

  it('with weights: exit 0, backends timed at 128², a busy port noted (not fatal), text and JSON agree', async () => {
    const home = tempDir('atelier-doctor-');
    const weights = path.join(home, 'src');
    writeTfjsDir(weights, makeRawLayers(16, 4));
    expect((await atelier(['weights', 'install', '--from', weights], home)).code).toBe(0);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const { code, stdout, stderr } = await atelier(['doctor', '--json', '--port', String(port)], home);
      expect(code, stderr).toBe(0);
      const report = JSON.parse(stdout) as DoctorReport;
      expect(report.ok).toBe(true);
      expect(report.weights.layers).toHaveLength(16);
      expect(report.port).toEqual({ port, free: false });
      expect(report.notes.join('\n')).toMatch(new RegExp(`port ${port} is in use`));
      const wasm = report.backends.find((b) => b.name === 'wasm')!;
      expect(wasm.status).toBe('available');
      expect(wasm.secondsPerEvaluation).toBeGreaterThan(0);
      expect(report.backends.find((b) => b.name === 'cuda')).toMatchObject({ status: 'unavailable' });
      // The same order and choice as `--backend auto`, with the same reasons for every backend it passes over.
      const engine = await initBackend('auto', { probeWebGpu: quietWebGpuProbe(false) });
      try {
        expect(report.auto).toEqual({ name: engine.name, skipped: engine.skipped });
        expect(report.backends.map((b) => b.name).filter((n) => n !== engine.name)).toEqual(engine.skipped.map((s) => s.name));
      } finally {
        await engine.shutdown();
      }

      const text = await atelier(['doctor', '--port', String(port)], home);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/backend wasm +available on .* s per evaluation at 128²/);
      expect(text.stdout).toMatch(/Atelier can run here\./);
      expect(text.stdout).toContain(`--backend auto chooses ${report.auto!.name} (`);
    } finally {
      busy.close();
    }
  });
});
