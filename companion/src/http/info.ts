/** `GET /v1/info`: version, backend, device, weights, queue and limits. */
import path from 'node:path';
import { Router } from 'express';
import type { Info } from '../../../shared/protocol.js';
import { LOCAL_TEAM_ID } from '../token.js';
import { VERSION } from '../version.js';
import type { JobQueue } from '../jobs/queue.js';
import { teamOf } from './auth.js';
import type { ServerLimits } from './limits.js';
import type { MeasuredSpeed } from '../../../shared/schedule.js';

/** What the info route reports. */
export interface InfoDeps {
  backend: { name: string; device: string };
  weights: { source: string; layers: string[] };
  queue: JobQueue;
  limits: ServerLimits;
  /** The engine's measured speed, once known. */
  speed?: () => MeasuredSpeed | null;
}

/** Router answering the Info object. */
export function infoRouter(deps: InfoDeps): Router {
  const r = Router();
  r.get('/', (req, res) => {
    const { limits } = deps;
    // The weights' absolute path says where the companion's files live: only its own machine's team sees it.
    const source = teamOf(req) === LOCAL_TEAM_ID ? deps.weights.source : path.basename(deps.weights.source);
    const body: Info = {
      version: VERSION,
      backend: deps.backend.name,
      device: deps.backend.device,
      weights: { source, layers: [...deps.weights.layers] },
      queue: { length: deps.queue.length, max: deps.queue.max },
      limits: {
        maxPixels: limits.maxPixels,
        maxFileBytes: limits.maxFileBytes,
        maxFiles: limits.maxFiles,
        maxSize: limits.maxSize,
        maxIterations: limits.maxIterations,
      },
      speed: deps.speed?.() ?? null,
    };
    res.json(body);
  });
  return r;
}
