/**
 * `atelier teams revoke NAME`, run as its own process while the server runs on the same data dir,
 * cancels that team's running and waiting jobs (they end as `canceled`); other teams' jobs go on.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodingInspector } from '../../companion/src/presets/inspect.js';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';
import { teamAuthenticator } from '../../companion/src/presets/teams.js';
import { tokensEqual } from '../../companion/src/token.js';
import { tempDir } from '../helpers/tempDir.js';
import { FAST, TOKEN_A, jobForm, makePng, startTestServer, submitJob, waitForJob, type TestServer } from './harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let srv: TestServer;
let store: SqlitePresetStore;
let dataDir: string;
let designToken: string;

beforeAll(async () => {
  dataDir = tempDir('atelier-revoke-');
  // Awaited: the store contract may answer with promises (PostgreSQL) or at once (SQLite).
  store = SqlitePresetStore.open({ dataDir, inspectImage: decodingInspector() });
  designToken = (await store.teams.create('design')).token;
  srv = await startTestServer({
    dataDir,
    presets: store,
    authenticate: teamAuthenticator(store.teams, async (t) => (tokensEqual(t, TOKEN_A) ? { teamId: 'local' } : null)),
  });
});
afterAll(async () => {
  await srv?.close();
  await store?.close();
});

describe('revoking a team', () => {
  it('cancels its running and queued jobs, from another process; other teams are not touched', async () => {
    const [content, style] = [await makePng(40, 30), await makePng(32, 32, { seed: 3 })];
    const design = { Authorization: `Bearer ${designToken}` };
    const long = jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, iterations: 10000 } });
    const short = () => jobForm({ content: [{ data: content }], style: [{ data: style }], params: FAST });
    const running = (await submitJob(srv, long, design)).body.id as string;
    await expect.poll(() => srv.handle.queue.get(running)?.state, { timeout: 30_000 }).toBe('running');
    const queued = (await submitJob(srv, short(), design)).body.id as string;
    const local = (await submitJob(srv, short())).body.id as string;

    const revoke = spawnSync(process.execPath, [path.join(repoRoot, 'bin/atelier.js'), 'teams', 'revoke', 'design', '--data-dir', dataDir], { cwd: repoRoot, encoding: 'utf8' });
    expect([revoke.status, revoke.stderr]).toEqual([0, "revoked team 'design': its token no longer works\n"]);

    await expect.poll(() => [running, queued].map((id) => srv.handle.queue.get(id)?.state), { timeout: 20_000 }).toEqual(['canceled', 'canceled']);
    expect((await waitForJob(srv, local)).state).toBe('succeeded');
  });
});
