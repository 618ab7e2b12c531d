/**
 * DNS-rebinding defence: only requests whose Host header names this server are answered —
 * `localhost`, `127.0.0.1`, `[::1]` and the extra allowed names, each with the port the request
 * arrived on (or bare) — anything else gets 403 `forbidden_host`.
 */
import type { RequestHandler } from 'express';
import { sendError } from './errors.js';

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** Normalises an allowed name: lower case, without a port, IPv6 literals bracketed. */
function normalizeName(name: string): string {
  const n = name.trim().toLowerCase().replace(/^([a-z0-9.-]+):\d+$/, '$1');
  return n.includes(':') && !n.startsWith('[') ? `[${n}]` : n;
}

/** True when `host` (a Host header value) names this server listening on `port`. */
export function isAllowedHost(host: string | undefined, port: number, allowed: readonly string[]): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(h);
  if (!m) return false;
  const [, name, p] = m;
  if (p !== undefined && Number(p) !== port) return false;
  const names = new Set([...LOOPBACK, ...allowed.map(normalizeName)]);
  if (!names.has(name)) return false;
  // A loopback name must carry the port: browsers always send it for non-default ports.
  return p !== undefined || port === 80 || !LOOPBACK.includes(name);
}

/** Middleware refusing foreign Host headers with 403. `allowed` are extra names (e.g. from --allowed-host). */
export function hostCheck(allowed: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const port = req.socket.localPort ?? 0;
    if (isAllowedHost(req.headers.host, port, allowed)) return next();
    if (!req.headers.host) return sendError(res, 400, 'missing_host', 'the request has no Host header');
    sendError(res, 403, 'forbidden_host', 'this Host is not allowed; start the companion with --allowed-host NAME to allow it');
  };
}
