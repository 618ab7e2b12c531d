/**
 * The plugin's CompanionClient preset calls (get, rename = PATCH + If-Match, delete + If-Match)
 * against the REAL companion app over HTTP on 127.0.0.1, including the conflict cases the UI
 * explains: 412 stale_version, 409 name_taken, 404 after a delete.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPresetsService, type PresetsService } from '../../companion/src/presets/service.js';
import { tokensEqual } from '../../companion/src/token.js';
import { CompanionClient, CompanionError } from '../../plugin/src/ui/companionClient.js';
import { CONFLICT_MESSAGE, describeActionFailure } from '../../plugin/src/logic/presetActions.js';
import { makePng, startTestServer, TOKEN_A, type TestServer } from '../http/harness.js';

let srv: TestServer;
let svc: PresetsService;
let dataDir: string;
let designerA: CompanionClient;
let designerB: CompanionClient;
let style: Buffer;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-plugin-presets-'));
  svc = await openPresetsService({ dataDir, pairing: async (t) => (tokensEqual(t, TOKEN_A) ? { teamId: 'local' } : null) });
  srv = await startTestServer({ dataDir, authenticate: svc.authenticate, presets: svc.store });
  designerA = new CompanionClient(srv.url, TOKEN_A);
  designerB = new CompanionClient(srv.url, TOKEN_A);
  style = await makePng(12, 10, { seed: 4 });
});
afterAll(async () => {
  await srv?.close();
  await svc?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The CompanionError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<CompanionError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CompanionError);
  return err as CompanionError;
}

describe('CompanionClient presets: rename and delete with If-Match', () => {
  it('renames with the current version and gets the next version back', async () => {
    const p = await designerA.savePreset('Rename me', { iterations: 20 }, [{ name: 's.png', data: style }]);
    const renamed = await designerA.renamePreset(p.id, p.version, 'Renamed');
    expect(renamed).toMatchObject({ id: p.id, name: 'Renamed', version: p.version + 1, params: { iterations: 20 } });
    expect(renamed.styles[0].sha256).toBe(p.styles[0].sha256);
    expect(await designerA.getPreset(p.id)).toEqual(renamed);
  });

  it('a stale version is a 412 stale_version conflict and changes nothing', async () => {
    const seen = await designerA.savePreset('Shared', {}, [{ name: 's.png', data: style }]);
    const theirs = await designerB.renamePreset(seen.id, seen.version, 'Shared (B)');
    const err = await failure(designerA.renamePreset(seen.id, seen.version, 'Shared (A)'));
    expect(err).toMatchObject({ status: 412, code: 'stale_version' });
    expect(describeActionFailure('rename', err, 'Shared (A)')).toMatchObject({ message: CONFLICT_MESSAGE, reload: true });
    expect((await designerA.getPreset(seen.id)).name).toBe(theirs.name);
    // a delete with the stale version is refused too; with the fresh one it succeeds
    expect(await failure(designerA.deletePreset(seen.id, seen.version))).toMatchObject({ status: 412, code: 'stale_version' });
    await designerA.deletePreset(seen.id, theirs.version);
    expect(await failure(designerA.getPreset(seen.id))).toMatchObject({ status: 404 });
    const gone = await failure(designerB.deletePreset(seen.id, theirs.version));
    expect(gone).toMatchObject({ status: 404 });
    expect(describeActionFailure('delete', gone, 'Shared (B)')).toMatchObject({ gone: true, reload: true });
  });

  it('renaming onto another preset’s name (any case) is a 409 name_taken', async () => {
    await designerA.savePreset('Mosaic', {}, [{ name: 's.png', data: style }]);
    const other = await designerA.savePreset('Pointillism', {}, [{ name: 's.png', data: style }]);
    const err = await failure(designerA.renamePreset(other.id, other.version, 'MOSAIC'));
    expect(err).toMatchObject({ status: 409, code: 'name_taken' });
    expect(describeActionFailure('rename', err, 'MOSAIC')).toMatchObject({ keepEditing: true, message: /“MOSAIC” already exists/ });
    const list = (await designerA.listPresets())!;
    expect(list.find((p) => p.id === other.id)).toMatchObject({ name: 'Pointillism', version: other.version });
  });

  it('an unreachable companion is status 0 / offline, never a crash', async () => {
    const offline = new CompanionClient('http://127.0.0.1:9', TOKEN_A);
    expect(await failure(offline.renamePreset('x', 1, 'y'))).toMatchObject({ status: 0, code: 'offline' });
    expect(await failure(offline.deletePreset('x', 1))).toMatchObject({ status: 0, code: 'offline' });
  });
});
