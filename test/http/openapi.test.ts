/**
 * The served OpenAPI document: valid OpenAPI 3.1 (checked by a real validator against the official
 * schema), and its paths are exactly the routes the Express app serves, so neither can drift.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX } from '../../shared/protocol.js';
import { ROUTES } from '../../companion/src/http/routes.js';
import { openPresetsService, type PresetsService } from '../../companion/src/presets/service.js';
import { tempDir } from '../helpers/tempDir.js';
import { tokensEqual } from '../../companion/src/token.js';
import { getJson, startTestServer, TOKEN_A, type TestServer } from './harness.js';

let srv: TestServer;
let svc: PresetsService;

beforeAll(async () => {
  const dataDir = tempDir('atelier-openapi-');
  svc = await openPresetsService({ dataDir, pairing: async (t) => (tokensEqual(t, TOKEN_A) ? { teamId: 'local' } : null) });
  srv = await startTestServer({ dataDir, authenticate: svc.authenticate, presets: svc.store });
});
afterAll(async () => {
  await srv.close();
  await svc.close();
});

interface Layer {
  rawPath?: string | string[];
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** `METHOD /path/{param}` for every route an Express router serves, mounted routers included. */
function servedRoutes(stack: Layer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const path = `${prefix}${layer.route.path === '/' ? '' : layer.route.path}`.replace(/:(\w+)/g, '{$1}');
      for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path || '/'}`);
    } else if (layer.handle.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...servedRoutes(layer.handle.stack, `${prefix}${mount}`));
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const { status, body } = await getJson(srv, `${API_PREFIX}/openapi.json`);
    expect(status).toBe(200);
    const result = await new Validator().validate(body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator does check: the same document with a parameter lacking its location fails.
    const broken = structuredClone(body);
    delete broken.paths[`${API_PREFIX}/jobs/{id}`].get.parameters[0].in;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('documents exactly the routes the app serves (the registry is the one description)', async () => {
    const served = servedRoutes((srv.handle.app as unknown as { router: { stack: Layer[] } }).router.stack).sort();
    const documented = ROUTES.map((r) => `${r.method.toUpperCase()} ${API_PREFIX}${r.path}`).sort();
    expect(served).toEqual(documented);
    const { body } = await getJson(srv, `${API_PREFIX}/openapi.json`);
    const inDoc = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(inDoc.sort()).toEqual(documented);
  });
});
