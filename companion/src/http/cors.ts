/**
 * CORS for the Figma plugin, whose iframe has origin `null`: `Access-Control-Allow-Origin: *` on
 * every answer and correct preflights (204, methods, headers, Chrome's private-network opt-in).
 * This is safe only because every endpoint but health requires a bearer token.
 */
import type { RequestHandler } from 'express';

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Authorization, Content-Type, If-Match, If-None-Match, Last-Event-ID';
const EXPOSE_HEADERS = 'Retry-After, ETag, Location, Content-Length';

/** Middleware answering preflights and adding CORS headers to every response. */
export function cors(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
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
