/**
 * A team server on the LAN: HTTPS with --tls-cert/--tls-key (bearer tokens no longer cross the
 * network in clear text), and a start-up warning when a non-loopback address is served without TLS.
 * The certificate is made with openssl at test time; without openssl the HTTPS test is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenWarnings } from '../../companion/src/cli/serve.js';
import { tempDir } from '../helpers/tempDir.js';
import { TOKEN_A, startTestServer } from './harness.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = tempDir('atelier-tls-');
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

function httpsGet(url: string, ca: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('TLS', () => {
  it.skipIf(!hasOpenssl)('serves HTTPS with a certificate and key', async () => {
    const tls = selfSigned();
    const srv = await startTestServer({}, { tls });
    try {
      expect(srv.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const r = await httpsGet(`${srv.url}/v1/info`, tls.cert, { Authorization: `Bearer ${TOKEN_A}` });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).backend).toBe('cpu');
    } finally {
      await srv.close();
    }
  });

  it('warns at start-up when a non-loopback address is served without TLS', () => {
    expect(listenWarnings('0.0.0.0', false).join('\n')).toMatch(/plain HTTP on 0\.0\.0\.0: bearer tokens cross the network in clear text/);
    expect(listenWarnings('0.0.0.0', true).join('\n')).not.toMatch(/clear text/);
    expect(listenWarnings('127.0.0.1', false)).toEqual([]);
    expect(listenWarnings('::1', false)).toEqual([]);
  });
});
