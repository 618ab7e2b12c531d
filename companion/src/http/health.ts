/** `GET /v1/health`: liveness without authentication. */
import { Router } from 'express';
import type { Health } from '../../../shared/protocol.js';
import { VERSION } from '../version.js';

/** Router answering `{ ok: true, version }`. */
export function healthRouter(): Router {
  const r = Router();
  r.get('/', (_req, res) => {
    const body: Health = { ok: true, version: VERSION };
    res.json(body);
  });
  return r;
}
