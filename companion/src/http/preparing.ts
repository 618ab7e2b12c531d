/**
 * The companion while it gets ready (its first start downloads the style network): the same
 * address, host check and CORS as the real app, `GET /v1/health` saying what it is doing and how
 * far (`preparing`), and 503 `preparing` for everything else — so the plugin shows "Downloading
 * the style network, 43 %" instead of "Companion not running".
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PREFIX, type Health } from '../../../shared/protocol.js';
import { VERSION } from '../version.js';
import { cors } from './cors.js';
import { sendError } from './errors.js';
import { hostCheck } from './hostCheck.js';
import { createServer, type TlsFiles } from './server.js';

/** A running preparing server. */
export interface PreparingServer {
  url: string;
  port: number;
  /** The download's progress, 0..100 (null: size unknown). */
  setPercent(percent: number | null): void;
  /** Stops listening (the real app takes the port next). */
  close(): Promise<void>;
}

/** Starts the preparing server on `port` (0: any free port) and `host`. */
export function startPreparingServer(opts: { port: number; host: string; allowedHosts?: readonly string[]; allowedOrigins?: readonly string[]; tls?: TlsFiles }): Promise<PreparingServer> {
  let percent: number | null = null;
  const app = express();
  app.disable('x-powered-by');
  app.use(hostCheck(opts.allowedHosts ?? []));
  app.use(cors(opts.allowedOrigins ?? []));
  app.get(`${API_PREFIX}/health`, (_req, res) => {
    const body: Health = { ok: true, version: VERSION, preparing: { step: 'weights', percent } };
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  });
  app.use((_req, res) => sendError(res, 503, 'preparing', 'the companion is still downloading the style network; try again in a moment'));
  const server: Server = createServer(app, opts.tls);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const scheme = opts.tls ? 'https' : 'http';
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `${scheme}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`,
        port: addr.port,
        setPercent: (p) => (percent = p === null ? null : Math.max(0, Math.min(100, Math.floor(p)))),
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
