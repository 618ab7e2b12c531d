/**
 * CORS only for the origins that need it: `null` (Figma's plugin iframe), Figma's own web
 * origins, and the origins a team server names with `--allowed-origin`. Their requests and
 * preflights get the origin echoed back (with `Vary: Origin`) and Chrome's private-network
 * opt-in; a request from any other web origin is refused with 403 `forbidden_origin`, so an
 * arbitrary page can neither read the companion's answers (its version included) nor trigger work.
 * Requests without an Origin header (curl, the CLI, same-machine tools) are not affected.
 */
import type { RequestHandler } from 'express';
import { DECLARED_PIXELS_HEADER } from '../../../shared/protocol.js';
import { sendError } from './errors.js';

/** Origins always allowed: Figma's plugin iframe (opaque origin) and Figma's web app. */
export const FIGMA_ORIGINS: readonly string[] = ['null', 'https://www.figma.com', 'https://figma.com'];

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = `Authorization, Content-Type, If-Match, If-None-Match, Last-Event-ID, ${DECLARED_PIXELS_HEADER}`;
const EXPOSE_HEADERS = 'Retry-After, ETag, Location, Content-Length';

/** Normalises an origin for comparison: lower case, no trailing slash. */
function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Middleware answering preflights and adding CORS headers for allowed origins; `extra` are more allowed origins. */
export function cors(extra: readonly string[] = []): RequestHandler {
  const allowed = new Set([...FIGMA_ORIGINS, ...extra].map(normalizeOrigin));
  return (req, res, next) => {
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    if (!allowed.has(normalizeOrigin(origin))) {
      sendError(res, 403, 'forbidden_origin', 'requests from this web origin are not accepted; a team server can allow it with --allowed-origin');
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      if (req.headers['access-control-request-private-network'] === 'true') {
        res.setHeader('Access-Control-Allow-Private-Network', 'true');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
