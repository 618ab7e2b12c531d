/**
 * `atelier doctor --queue redis://… --database postgres://…` reports whether a team server's Redis
 * and PostgreSQL are reachable, and their versions, against real servers started here (skipped
 * with the reason when the binaries are absent; a failure with ATELIER_REQUIRE_SERVICES=1).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probePostgres, probeRedis } from '../../companion/src/serviceProbes.js';
import { redactUrl } from '../../companion/src/redactUrl.js';
import { postgresAvailability, REQUIRE_SERVICES, startPostgres, type PostgresServer } from '../helpers/postgresServer.js';
import { freePort, redisMissingReason, startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { tempDir } from '../helpers/tempDir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const missing = [redisMissingReason(), postgresAvailability().reason ?? ''].filter(Boolean).join('; ');
if (missing) console.log(`doctor service checks skipped: ${missing}`);

describe.runIf(REQUIRE_SERVICES && missing)('doctor service checks (required)', () => {
  it('finds redis-server and PostgreSQL', () => {
    throw new Error(`ATELIER_REQUIRE_SERVICES=1 but ${missing}`);
  });
});

function doctor(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/atelier.js'), 'doctor', '--no-backends', '--data-dir', tempDir('atelier-doc-'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe.skipIf(Boolean(missing))('doctor --queue / --database', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  it('probes report reachability and server versions, and why not', async () => {
    const r = await probeRedis(redis.url);
    expect(r).toMatchObject({ reachable: true, url: `${redis.url}` });
    expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
    const p = await probePostgres(postgres.url);
    expect(p.reachable).toBe(true);
    expect(p.version).toMatch(/^\d+(\.\d+)?/);

    const closed = await freePort();
    expect(await probeRedis(`redis://127.0.0.1:${closed}`)).toMatchObject({ reachable: false, reason: `ECONNREFUSED 127.0.0.1:${closed}` });
    const noDb = await probePostgres(postgres.url.replace(/\/postgres$/, '/no_such_db'));
    expect(noDb.reachable).toBe(false);
    expect(noDb.reason).toMatch(/no_such_db/);
    // A password Redis does not expect is an answer, not a hang; it is never shown.
    const authed = await probeRedis(`redis://:s3cret@127.0.0.1:${redis.port}`);
    expect(authed.reachable).toBe(false);
    expect(authed.url).toBe(`redis://:***@127.0.0.1:${redis.port}`);
    expect(redactUrl('postgres://me:pw@db:5432/x')).toBe('postgres://me:***@db:5432/x');
  });

  it('`atelier doctor` prints them (text and JSON); an unreachable one is a problem with its fix', async () => {
    const json = await doctor(['--json', '--queue', redis.url, '--database', postgres.url]);
    const report = JSON.parse(json.stdout);
    expect(report.services.queue).toMatchObject({ reachable: true, version: expect.stringMatching(/^\d+\./) });
    expect(report.services.database).toMatchObject({ reachable: true, version: expect.stringMatching(/^\d+/) });
    expect(report.problems.map((p: { problem: string }) => p.problem).join('\n')).not.toMatch(/Redis|PostgreSQL/);

    const closed = await freePort();
    const text = await doctor(['--queue', `redis://127.0.0.1:${closed}`, '--database', postgres.url]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`FAIL queue: redis://127\\.0\\.0\\.1:${closed} not reachable: ECONNREFUSED`));
    expect(text.stdout).toMatch(/ok {3}database: PostgreSQL \d+\S* .*at postgres:\/\/postgres@127\.0\.0\.1/);
    expect(text.stdout).toMatch(/problem: the job queue \(Redis\) at .* is not reachable: .*; fix: start redis-server there, or correct --queue/);
  });

  it('a URL of the wrong kind is a usage error (exit 2)', async () => {
    const r = await doctor(['--queue', 'http://127.0.0.1:6379']);
    expect([r.code, r.stderr.trim()]).toEqual([2, "atelier: --queue: expected a redis:// or rediss:// URL, got 'http://127.0.0.1:6379'"]);
  });
});
