/**
 * What only the PostgreSQL store has (its shared contract is presetsContract.test.ts): schema
 * migrations by node-pg-migrate at open (once, also when several processes open together; a newer
 * schema refused), the `--database` flag of `teams`, `presets` and `serve` against a real server,
 * and the one-line errors for a malformed URL (exit 2) and an unreachable server (exit 1).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownMigrations, MIGRATIONS_TABLE } from '../../companion/src/presets/postgres/migrate.js';
import { probeDatabase } from '../../companion/src/presets/postgres/probe.js';
import { PostgresPresetStore } from '../../companion/src/presets/postgres/store.js';
import { decodingInspector } from '../../companion/src/presets/inspect.js';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
import { postgresAvailability, REQUIRE_SERVICES, startPostgres, type PostgresServer } from '../helpers/postgresServer.js';
import { pngImage, removeDir, runCli as cli, tempDataDir } from './presetsFixtures.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const availability = postgresAvailability();
const dirs: string[] = [];
const fresh = (): string => {
  const d = tempDataDir();
  dirs.push(d);
  return d;
};
const open = (databaseUrl: string): Promise<PostgresPresetStore> => PostgresPresetStore.open({ databaseUrl, inspectImage: decodingInspector() });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function applied(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`)).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

describe('--database errors (no server needed)', () => {
  it('a malformed URL is exit 2 and an unreachable server exit 1, one line naming --database', async () => {
    const dataDir = fresh();
    for (const url of ['not a url', 'mysql://db:3306/x', 'postgres://']) {
      const r = await cli('teams', 'list', '--database', url, '--data-dir', dataDir);
      expect([r.code, r.out]).toEqual([2, '']);
      expect(r.err).toMatch(/^atelier: --database: .*expected postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE\n$/);
    }
    const port = await closedPort();
    const r = await cli('presets', 'list', '--database', `postgres://someone:s3cret@127.0.0.1:${port}/atelier`, '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^atelier: --database: cannot reach PostgreSQL at postgres://someone:\\*\\*\\*@127\\.0\\.0\\.1:${port}/atelier \\(ECONNREFUSED.*\\)\\n$`));
    expect(r.err).not.toContain('s3cret');
  });

  /** Runs `atelier serve ARGS` to its exit; resolves to its exit code and stderr. */
  async function serveExit(args: string[]): Promise<{ code: number | null; err: string }> {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/atelier.js'), 'serve', '--port', '0', '--data-dir', fresh(), ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, err };
  }

  it('serve refuses a malformed --database before loading anything (exit 2) and an unreachable one with exit 1', async () => {
    const bad = await serveExit(['--database', 'redis://127.0.0.1:6379']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^atelier: --database: redis:\/\/ is not PostgreSQL/m);
    const weights = path.join(fresh(), 'weights');
    writeTfjsDir(weights, makeRawLayers(16, 4));
    const port = await closedPort();
    const down = await serveExit(['--backend', 'cpu', '--weights', weights, '--log-level', 'warn', '--database', `postgres://atelier:pw@127.0.0.1:${port}/atelier`]);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(new RegExp(`^atelier: --database: cannot reach PostgreSQL at postgres://atelier:\\*\\*\\*@127\\.0\\.0\\.1:${port}/atelier \\(ECONNREFUSED`, 'm'));
  });
});

if (!availability.available && REQUIRE_SERVICES) {
  describe('PostgreSQL store (required)', () => {
    it('runs', () => {
      throw new Error(`ATELIER_REQUIRE_SERVICES=1 but PostgreSQL is unavailable: ${availability.reason}`);
    });
  });
} else if (!availability.available) {
  console.log(`skipping the PostgreSQL store tests: ${availability.reason}`);
}

describe.runIf(availability.available)('PostgreSQL store', () => {
  let server: PostgresServer;
  let n = 0;
  const database = (): Promise<string> => server.createDatabase(`pgstore_${process.pid}_${++n}`);

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
    dirs.forEach(removeDir);
  });

  it('migrates once with node-pg-migrate, also when several processes open a new database together', async () => {
    const url = await database();
    // Four stores (as four API processes or workers would) open the empty database at the same moment.
    const stores = await Promise.all([open(url), open(url), open(url), open(url)]);
    expect(await applied(url)).toEqual(knownMigrations());
    const p = await stores[0].create('local', { name: 'Ink' }, [await pngImage(1)]);
    expect(await stores[3].get('local', p.id)).toEqual(p);
    await Promise.all(stores.map((s) => s.close()));
    const again = await open(url);
    expect(await again.get('local', p.id)).toEqual(p);
    expect(await applied(url)).toEqual(knownMigrations());
    expect((await again.teams.list()).filter((t) => t.isDefault)).toHaveLength(1);
    await again.close();
  });

  it('refuses a database migrated by a newer Atelier; the probe (for doctor) tells each state apart', async () => {
    const url = await database();
    expect(await probeDatabase(url)).toMatchObject({ reachable: true, schema: 'empty', serverVersion: expect.stringMatching(/^\d+\.\d+/) });
    await (await open(url)).close();
    expect(await probeDatabase(url)).toMatchObject({ reachable: true, schema: 'current' });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, run_on) VALUES ('9999_from-the-future', now())`);
    await client.end();
    await expect(open(url)).rejects.toThrow(/migrated by a newer Atelier/);
    expect(await probeDatabase(url)).toMatchObject({ reachable: true, schema: 'newer' });
    const down = `postgres://x:pw@127.0.0.1:${await closedPort()}/x`;
    expect(await probeDatabase(down)).toMatchObject({ reachable: false, url: 'postgres://x:***@127.0.0.1:' + new URL(down).port + '/x', error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await probeDatabase('http://x')).toMatchObject({ reachable: false, error: expect.stringMatching(/not PostgreSQL/) });
  });

  it('teams and presets commands work on --database; the pairing token stays in --data-dir', async () => {
    const url = await database();
    const dataDir = fresh();
    const made = await cli('teams', 'create', 'Studio', '--database', url, '--data-dir', dataDir);
    expect(made.code).toBe(0);
    const token = made.out.trim();
    expect(token).toMatch(/^atl_/);
    expect(fs.readdirSync(dataDir)).toEqual([]); // nothing in the data dir: the team lives in PostgreSQL
    expect((await cli('teams', 'create', 'studio', '--database', url)).code).toBe(2);
    const list = await cli('teams', 'list', '--database', url, '--json');
    expect(JSON.parse(list.out).teams.map((t: { name: string; presets: number }) => [t.name, t.presets])).toEqual([
      ['local', 0],
      ['Studio', 0],
    ]);

    // A bundle exported from an embedded store imports into the team on PostgreSQL, byte for byte.
    const src = fresh();
    const sqlite = SqlitePresetStore.open({ dataDir: src, inspectImage: decodingInspector() });
    const img = await pngImage(3);
    await sqlite.create('local', { name: 'Ink', params: { seed: 4 }, blend: [2] }, [img]);
    await sqlite.close();
    const bundle = path.join(src, 'b.json');
    expect((await cli('presets', 'export', '--all', '--out', bundle, '--data-dir', src)).code).toBe(0);
    const imported = await cli('presets', 'import', bundle, '--team', 'Studio', '--database', url, '--json');
    expect(JSON.parse(imported.out)).toEqual({ created: ['Ink'], unchanged: [], replaced: [], conflicts: [] });
    expect(JSON.parse((await cli('presets', 'import', bundle, '--team', 'Studio', '--database', url, '--json')).out).unchanged).toEqual(['Ink']);
    const shown = JSON.parse((await cli('presets', 'show', 'ink', '--team', 'studio', '--database', url, '--json')).out);
    expect(shown).toMatchObject({ name: 'Ink', params: { seed: 4 }, styles: [{ weight: 2, bytes: img.length }] });
    const store = await open(url);
    try {
      const team = (await store.teams.byName('Studio'))!;
      expect(await store.teams.authenticate(token)).toEqual({ teamId: team.id });
      expect((await store.styleImage(team.id, shown.id, 0))?.data.equals(img)).toBe(true);
      expect((await cli('teams', 'revoke', 'Studio', '--database', url)).code).toBe(0);
      expect(await store.teams.authenticate(token)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('atelier serve --database keeps presets in PostgreSQL and team tokens work against it', async () => {
    const url = await database();
    const dataDir = fresh();
    const weights = path.join(fresh(), 'weights');
    writeTfjsDir(weights, makeRawLayers(16, 4));
    const team = await cli('teams', 'create', 'Studio', '--database', url);
    const teamToken = team.out.trim();
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin/atelier.js'), 'serve', '--port', '0', '--backend', 'cpu', '--weights', weights, '--data-dir', dataDir, '--database', url, '--log-level', 'warn'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const t0 = Date.now();
      while (!/listening on (http:\/\/\S+)/.test(out) || !/pairing token: \S+/.test(out)) {
        if (child.exitCode !== null || Date.now() - t0 > 90_000) throw new Error(`serve did not start: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const base = /listening on (http:\/\/\S+)/.exec(out)![1];
      const pairing = /pairing token: (\S+)/.exec(out)![1];
      expect(fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim()).toBe(pairing);
      const form = new FormData();
      form.append('preset', JSON.stringify({ name: 'Served' }));
      form.append('style', new Blob([new Uint8Array(await pngImage(5))], { type: 'image/png' }), 's.png');
      const created = await fetch(`${base}/v1/presets`, { method: 'POST', headers: { Authorization: `Bearer ${teamToken}` }, body: form });
      expect(created.status).toBe(201);
      const preset = (await created.json()) as { id: string };
      // In PostgreSQL, for that team; the pairing token's team does not see it.
      const store = await open(url);
      const studio = (await store.teams.byName('Studio'))!;
      expect((await store.get(studio.id, preset.id))?.name).toBe('Served');
      await store.close();
      const local = await fetch(`${base}/v1/presets`, { headers: { Authorization: `Bearer ${pairing}` } });
      expect(((await local.json()) as { presets: unknown[] }).presets).toEqual([]);
      expect(fs.existsSync(path.join(dataDir, 'presets.sqlite3'))).toBe(false);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
