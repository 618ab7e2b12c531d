/**
 * `/v1/presets` over real HTTP on the real app (createApp + the store-backed router and team
 * authenticator): CRUD, If-Match (428/412), 409 names, team isolation, validation, concurrency,
 * and `POST /v1/jobs {presetId}` — on the embedded SQLite store and on PostgreSQL (a real server).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPresetsService, type PresetsService } from '../../companion/src/presets/service.js';
import { tokensEqual } from '../../companion/src/token.js';
import { presetListSchema, presetSchema, type Preset } from '../../shared/presets.js';
import { postgresAvailability, REQUIRE_SERVICES, startPostgres, type PostgresServer } from '../helpers/postgresServer.js';
import { FAST, jobForm, makePng, startTestServer, submitJob, TOKEN_A, waitForJob, type TestServer } from './harness.js';

let srv: TestServer;
let svc: PresetsService;
let dataDir: string;
let A: Record<string, string>;
let B: Record<string, string>;
let styleA: Buffer;
let styleB: Buffer;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(method: string, p: string, auth: Record<string, string>, init: { json?: unknown; form?: FormData; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...auth, ...init.headers };
  let body: BodyInit | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['Content-Type'] ??= 'application/json';
  } else if (init.form) body = init.form;
  const res = await fetch(`${srv.url}${p}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

function presetForm(preset: unknown, styles: Buffer[]): FormData {
  const form = new FormData();
  for (const s of styles) form.append('style', new Blob([new Uint8Array(s)], { type: 'image/png' }), 'style.png');
  form.append('preset', typeof preset === 'string' ? preset : JSON.stringify(preset));
  return form;
}

async function create(auth: Record<string, string>, name: string, styles = [styleA], params: unknown = { size: 64 }): Promise<Preset> {
  const r = await call('POST', '/v1/presets', auth, { form: presetForm({ name, params }, styles) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return presetSchema.parse(r.body);
}

/** The same API suite on either store: the embedded SQLite one and PostgreSQL (team mode). */
function presetsApiSuite(kind: 'sqlite' | 'postgres'): void {
  describe(`presets API (${kind} store)`, () => {
    let pgServer: PostgresServer | null = null;
    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-presets-http-'));
      let databaseUrl: string | undefined;
      if (kind === 'postgres') {
        pgServer = await startPostgres();
        databaseUrl = await pgServer.createDatabase('presets_http');
      }
      svc = await openPresetsService({
        dataDir,
        databaseUrl,
        pairing: async (t) => (tokensEqual(t, TOKEN_A) ? { teamId: 'local' } : null),
      });
      srv = await startTestServer({ dataDir, authenticate: svc.authenticate, presets: svc.store });
      A = { Authorization: `Bearer ${TOKEN_A}` };
      B = { Authorization: `Bearer ${(await svc.store.teams.create('Team B')).token}` };
      styleA = await makePng(12, 10, { seed: 1 });
      styleB = await makePng(10, 12, { seed: 2 });
    });
    afterAll(async () => {
      await srv?.close();
      await svc?.close();
      await pgServer?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('CRUD: create, list, read, image bytes, replace, patch, delete', async () => {
      const post = await call('POST', '/v1/presets', A, {
        form: presetForm({ name: 'Ink', params: { size: 64, styleWeight: 2e4 }, blend: [2, 1] }, [styleA, styleB]),
      });
      expect(post.status).toBe(201);
      const p = presetSchema.parse(post.body);
      expect(post.headers.get('etag')).toBe('"1"');
      expect(post.headers.get('location')).toBe(`/v1/presets/${p.id}`);
      expect(p).toMatchObject({ name: 'Ink', version: 1, params: { size: 64, styleWeight: 2e4 } });
      expect(p.styles.map((s) => [s.width, s.height, s.weight, s.contentType])).toEqual([
        [12, 10, 2, 'image/png'],
        [10, 12, 1, 'image/png'],
      ]);

      const list = await call('GET', '/v1/presets', A);
      expect(list.status).toBe(200);
      expect(presetListSchema.parse(list.body).presets.map((x) => x.id)).toContain(p.id);

      const got = await call('GET', `/v1/presets/${p.id}`, A);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(p);
      expect(got.headers.get('etag')).toBe('"1"');

      const img = await fetch(`${srv.url}/v1/presets/${p.id}/styles/1`, { headers: A });
      expect(img.status).toBe(200);
      expect(img.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await img.arrayBuffer()).equals(styleB)).toBe(true);
      expect((await call('GET', `/v1/presets/${p.id}/styles/2`, A)).status).toBe(404);
      expect((await call('GET', `/v1/presets/${p.id}/styles/x`, A)).status).toBe(404);

      const put = await call('PUT', `/v1/presets/${p.id}`, A, { json: { name: 'Ink v2', params: { iterations: 20 } }, headers: { 'If-Match': '"1"' } });
      expect(put.status).toBe(200);
      expect(put.headers.get('etag')).toBe('"2"');
      expect(put.body).toMatchObject({ name: 'Ink v2', version: 2, params: { iterations: 20 } });
      expect(put.body.styles.map((s: { weight: number }) => s.weight)).toEqual([2, 1]); // styles kept

      const newStyle = await makePng(8, 8, { seed: 9 });
      const putImages = await call('PUT', `/v1/presets/${p.id}`, A, {
        form: presetForm({ name: 'Ink v2', params: { iterations: 20 } }, [newStyle]),
        headers: { 'If-Match': 'W/"2"' },
      });
      expect(putImages.status).toBe(200);
      expect(putImages.body.styles).toHaveLength(1);

      const patch = await call('PATCH', `/v1/presets/${p.id}`, A, {
        json: { params: { iterations: null, seed: 4 } },
        headers: { 'If-Match': '"3"', 'Content-Type': 'application/merge-patch+json' },
      });
      expect(patch.status).toBe(200);
      expect(patch.body).toMatchObject({ name: 'Ink v2', version: 4, params: { seed: 4 } });
      expect(patch.body.params).not.toHaveProperty('iterations');

      const del = await call('DELETE', `/v1/presets/${p.id}`, A, { headers: { 'If-Match': '"4"' } });
      expect(del.status).toBe(204);
      expect((await call('GET', `/v1/presets/${p.id}`, A)).status).toBe(404);
      expect((await call('GET', `/v1/presets/${p.id}/styles/0`, A)).status).toBe(404);
    });

    it('requires If-Match (428) and refuses a stale version (412) without changing anything', async () => {
      const p = await create(A, 'Versioned');
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const r = await call(method, `/v1/presets/${p.id}`, A, method === 'DELETE' ? {} : { json: { name: 'Versioned' } });
        expect([method, r.status, r.body.error.code]).toEqual([method, 428, 'precondition_required']);
      }
      expect((await call('PATCH', `/v1/presets/${p.id}`, A, { json: {}, headers: { 'If-Match': '*' } })).status).toBe(428);
      const first = await call('PATCH', `/v1/presets/${p.id}`, A, { json: { params: { seed: 1 } }, headers: { 'If-Match': '"1"' } });
      expect(first.status).toBe(200);
      // A second designer still holding version 1:
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const r = await call(method, `/v1/presets/${p.id}`, A, {
          ...(method === 'DELETE' ? {} : { json: { name: 'Overwrite', params: { seed: 2 } } }),
          headers: { 'If-Match': '"1"' },
        });
        expect([method, r.status, r.body.error.code]).toEqual([method, 412, 'stale_version']);
      }
      expect((await call('PATCH', `/v1/presets/${p.id}`, A, { json: {}, headers: { 'If-Match': '"abc"' } })).status).toBe(412);
      const now = await call('GET', `/v1/presets/${p.id}`, A);
      expect(now.body).toMatchObject({ name: 'Versioned', version: 2, params: { size: 64, seed: 1 } });
    });

    it('409 on a duplicate name (create, rename; case-insensitive), same name fine in another team', async () => {
      const p = await create(A, 'Unique');
      const dup = await call('POST', '/v1/presets', A, { form: presetForm({ name: 'unique' }, [styleA]) });
      expect([dup.status, dup.body.error.code]).toEqual([409, 'name_taken']);
      const q = await create(A, 'Other');
      const rename = await call('PATCH', `/v1/presets/${q.id}`, A, { json: { name: 'UNIQUE' }, headers: { 'If-Match': '"1"' } });
      expect(rename.status).toBe(409);
      expect((await call('GET', `/v1/presets/${q.id}`, A)).body.name).toBe('Other');
      expect((await create(B, 'Unique')).name).toBe('Unique');
      expect(p.version).toBe(1);
    });

    it("isolates teams: B's presets cannot be listed, read, changed or deleted by A, nor detected", async () => {
      const secret = await create(B, 'B secret', [styleB]);
      const listA = await call('GET', '/v1/presets', A);
      expect(listA.body.presets.map((p: Preset) => p.name)).not.toContain('B secret');
      expect(listA.body.presets.map((p: Preset) => p.id)).not.toContain(secret.id);
      const listB = await call('GET', '/v1/presets', B);
      expect(listB.body.presets.map((p: Preset) => p.name)).toContain('B secret');
      expect(listB.body.presets.every((p: Preset) => !listA.body.presets.some((q: Preset) => q.id === p.id))).toBe(true);

      // Every answer for B's id equals the answer for an id that does not exist (id replaced).
      const missing = '00000000-0000-4000-8000-000000000000';
      const probes: Array<[string, string, Parameters<typeof call>[3]]> = [
        ['GET', '', {}],
        ['GET', '/styles/0', {}],
        ['PUT', '', { json: { name: 'mine' }, headers: { 'If-Match': '"1"' } }],
        ['PATCH', '', { json: { name: 'mine' }, headers: { 'If-Match': '"1"' } }],
        ['PATCH', '', { json: { name: 'mine' }, headers: { 'If-Match': '"7"' } }],
        ['DELETE', '', { headers: { 'If-Match': '"1"' } }],
        ['PATCH', '', { json: { name: 'mine' } }],
      ];
      for (const [method, suffix, init] of probes) {
        const theirs = await call(method, `/v1/presets/${secret.id}${suffix}`, A, init);
        const none = await call(method, `/v1/presets/${missing}${suffix}`, A, init);
        expect(theirs.status, `${method} ${suffix}`).toBe(none.status);
        expect(JSON.stringify(theirs.body).replaceAll(secret.id, missing)).toBe(JSON.stringify(none.body));
        expect([404, 428]).toContain(theirs.status);
      }
      // A job cannot use it either.
      const job = await submitJob(srv, jobForm({ content: [{ data: styleA }], presetId: secret.id, params: FAST }), A);
      expect([job.res.status, job.body.error.code]).toEqual([404, 'preset_not_found']);
      // Untouched for B.
      const still = await call('GET', `/v1/presets/${secret.id}`, B);
      expect(still.body).toEqual(secret);
    });

    it('rejects missing, revoked and unknown tokens', async () => {
      expect((await call('GET', '/v1/presets', {})).status).toBe(401);
      expect((await call('GET', '/v1/presets', { Authorization: 'Bearer atl_nope_nope_nope_nope' })).status).toBe(401);
      const { token } = await svc.store.teams.create('Temp');
      const auth = { Authorization: `Bearer ${token}` };
      expect((await call('GET', '/v1/presets', auth)).status).toBe(200);
      await svc.store.teams.revoke('Temp');
      expect((await call('GET', '/v1/presets', auth)).status).toBe(401);
    });

    it('validates bodies and images with stable codes, storing nothing', async () => {
      const before = (await call('GET', '/v1/presets', A)).body.presets.length;
      const cases: Array<[FormData | { json: unknown }, number, string]> = [
        [presetForm({ name: 'no style' }, []), 400, 'invalid_preset'],
        [presetForm({ name: 'bad', params: { size: 99999 } }, [styleA]), 400, 'invalid_preset'],
        [presetForm({ name: 'bad', params: { nope: 1 } }, [styleA]), 400, 'invalid_preset'],
        [presetForm({ name: 'bad', blend: [1, 1] }, [styleA]), 400, 'invalid_preset'],
        [presetForm('{not json', [styleA]), 400, 'invalid_preset'],
        [presetForm({ name: 'not image' }, [Buffer.from('hello, not an image')]), 415, 'unsupported_image'],
        [presetForm({ name: 'truncated' }, [styleA.subarray(0, 40)]), 400, 'corrupt_image'],
        [{ json: { name: 'json only' } }, 415, 'unsupported_media_type'],
      ];
      for (const [body, status, code] of cases) {
        const r = await call('POST', '/v1/presets', A, body instanceof FormData ? { form: body } : body);
        expect([r.status, r.body?.error?.code]).toEqual([status, code]);
      }
      expect((await call('GET', '/v1/presets', A)).body.presets.length).toBe(before);
    });

    it('parallel writers lose nothing: 16 creates, one winner among 8 racing edits, one among 5 same-name creates', async () => {
      const names = Array.from({ length: 16 }, (_, i) => `Parallel ${i}`);
      const made = await Promise.all(
        names.map(async (name, i) => call('POST', '/v1/presets', A, { form: presetForm({ name, params: { seed: i } }, [await makePng(6, 6, { seed: 100 + i })]) })),
      );
      expect(made.map((r) => r.status)).toEqual(names.map(() => 201));
      const list = (await call('GET', '/v1/presets', A)).body.presets as Preset[];
      for (const [i, name] of names.entries()) expect(list.find((p) => p.name === name)?.params.seed).toBe(i);

      const target = made[0].body as Preset;
      const edits = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          call('PATCH', `/v1/presets/${target.id}`, A, { json: { params: { seed: 1000 + i } }, headers: { 'If-Match': '"1"' } }),
        ),
      );
      expect(edits.filter((r) => r.status === 200)).toHaveLength(1);
      expect(edits.filter((r) => r.status === 412)).toHaveLength(7);
      const winner = edits.find((r) => r.status === 200)!.body as Preset;
      expect((await call('GET', `/v1/presets/${target.id}`, A)).body).toMatchObject({ version: 2, params: { seed: winner.params.seed } });

      const racing = await Promise.all(
        Array.from({ length: 5 }, () => call('POST', '/v1/presets', A, { form: presetForm({ name: 'Same name' }, [styleA]) })),
      );
      expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    });

    it('POST /v1/jobs with presetId uses the preset styles and params', async () => {
      const p = await create(A, 'For jobs', [styleA, styleB], { ...FAST, styleLayers: ['conv1_1'], contentLayers: ['conv1_2'] });
      const { res, body } = await submitJob(srv, jobForm({ content: [{ data: await makePng(20, 16) }], presetId: p.id, params: { iterations: 2 } }), A);
      expect(res.status).toBe(202);
      const done = await waitForJob(srv, body.id);
      expect(done.state).toBe('succeeded');
      expect(done.progress.iterations).toBe(2); // request params override the preset's
    });
  });
}

presetsApiSuite('sqlite');
const pgAvailability = postgresAvailability();
if (pgAvailability.available) presetsApiSuite('postgres');
else if (REQUIRE_SERVICES) {
  describe('presets API (postgres store, required)', () => {
    it('runs', () => {
      throw new Error(`ATELIER_REQUIRE_SERVICES=1 but PostgreSQL is unavailable: ${pgAvailability.reason}`);
    });
  });
} else console.log(`skipping the presets API on PostgreSQL: ${pgAvailability.reason}`);
