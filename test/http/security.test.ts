/** Auth (401), Host check (403), CORS preflight from Origin: null, health/info/openapi. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthSchema, infoSchema } from '../../shared/protocol.js';
import { getJson, rawRequest, startTestServer, type TestServer } from './harness.js';

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ allowedHosts: ['atelier.team.local'] });
});
afterAll(async () => srv?.close());

describe('auth', () => {
  it('health needs no token', async () => {
    const res = await fetch(`${srv.url}/v1/health`);
    expect(res.status).toBe(200);
    expect(healthSchema.parse(await res.json()).ok).toBe(true);
  });

  it.each([
    ['no header', {}],
    ['wrong token', { Authorization: 'Bearer atl_wrong_token_xxxxxxxxxxxxxxxxx' }],
    ['not bearer', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['empty bearer', { Authorization: 'Bearer ' }],
  ])('401 without details: %s', async (_name, headers) => {
    for (const p of ['/v1/info', '/v1/jobs/whatever', '/v1/openapi.json', '/v1/presets']) {
      const res = await fetch(`${srv.url}${p}`, { headers: headers as Record<string, string> });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid token' } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const post = await fetch(`${srv.url}/v1/jobs`, { method: 'POST', headers: headers as Record<string, string>, body: new FormData() });
    expect(post.status).toBe(401);
  });

  it('info with a token reports backend, weights, queue and limits', async () => {
    const { status, body } = await getJson(srv, '/v1/info');
    expect(status).toBe(200);
    const info = infoSchema.parse(body);
    expect(info.backend).toBe('cpu');
    expect(info.weights.layers).toContain('block5_conv4');
    expect(info.queue).toEqual({ length: 0, max: 16 });
  });

  it('serves the OpenAPI document', async () => {
    const { status, body } = await getJson(srv, '/v1/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/v1/health', '/v1/info', '/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/events', '/v1/jobs/{id}/result']),
    );
    expect(body.components.schemas.StylizeParams.properties.iterations.maximum).toBe(10000);
  });

  it('unknown routes are 404 with the JSON error shape', async () => {
    const { status, body } = await getJson(srv, '/v1/nope');
    expect([status, body.error.code]).toEqual([404, 'not_found']);
  });
});

describe('Host check (DNS rebinding)', () => {
  it.each(['evil.example.com', 'evil.example.com:PORT', 'localhost:1', '127.0.0.1.nip.io:PORT', 'localhost'])('403 for Host %s', async (host) => {
    const r = await rawRequest(srv.port, { path: '/v1/health', headers: { Host: host.replace('PORT', String(srv.port)) } });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.code).toBe('forbidden_host');
  });

  it.each(['localhost:PORT', '127.0.0.1:PORT', '[::1]:PORT', 'LOCALHOST:PORT', 'atelier.team.local', 'atelier.team.local:PORT'])('allows Host %s', async (host) => {
    const r = await rawRequest(srv.port, { path: '/v1/health', headers: { Host: host.replace('PORT', String(srv.port)) } });
    expect(r.status).toBe(200);
  });

  it('403 also for authenticated API calls with a foreign Host', async () => {
    const r = await rawRequest(srv.port, { path: '/v1/info', headers: { Host: 'attacker.test', ...srv.auth } });
    expect(r.status).toBe(403);
  });
});

describe('CORS', () => {
  it('answers a preflight from Origin: null without a token', async () => {
    const r = await rawRequest(srv.port, {
      method: 'OPTIONS',
      path: '/v1/jobs',
      headers: {
        Origin: 'null',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
        'Access-Control-Request-Private-Network': 'true',
      },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('null');
    expect(r.headers['access-control-allow-methods']).toContain('POST');
    expect(r.headers['access-control-allow-methods']).toContain('DELETE');
    expect(r.headers['access-control-allow-headers']!.toLowerCase()).toContain('authorization');
    expect(r.headers['access-control-allow-private-network']).toBe('true');
  });

  it('adds Allow-Origin to normal and error answers for Origin: null', async () => {
    const ok = await rawRequest(srv.port, { path: '/v1/info', headers: { Origin: 'null', ...srv.auth } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('null');
    const denied = await rawRequest(srv.port, { path: '/v1/info', headers: { Origin: 'null' } });
    expect(denied.status).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe('null');
    expect(denied.headers['access-control-expose-headers']).toContain('Retry-After');
  });
});
