/**
 * The companion's Express app factory: host check → CORS → health (no auth) → bearer auth →
 * info / jobs / presets / openapi routers → one error mapper. Also owns the job queue, its
 * worker and retention; `close()` ends event streams and cancels queued and running work.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import { API_PREFIX } from '../../../shared/protocol.js';
import { silentLogger } from '../log.js';
import { PixelBudget } from '../jobs/pixelBudget.js';
import { JobQueue } from '../jobs/queue.js';
import { UploadSlots } from './admission.js';
import { DEFAULT_RETENTION, startRetention } from '../jobs/retention.js';
import { watchRevokedTeams } from '../jobs/revocation.js';
import { createJobRunner, describeJobError } from '../jobs/runner.js';
import { requireAuth } from './auth.js';
import { cors } from './cors.js';
import type { AppDeps } from './deps.js';
import { errorHandler, notFound } from './errors.js';
import { healthRouter } from './health.js';
import { hostCheck } from './hostCheck.js';
import { SpeedLearner } from '../jobs/estimate.js';
import { infoRouter } from './info.js';
import { jobsRouter } from './jobs.js';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js';
import { openapiRouter } from './openapi.js';
import { createPresetsRouter } from './presetsRouter.js';
import { createServer, type TlsFiles } from './server.js';
import type { StreamSet } from './sse.js';

export type { AppDeps } from './deps.js';
export type { ServerLimits } from './limits.js';
export type { TlsFiles } from './server.js';

/** The app and what it owns. */
export interface AppHandle {
  app: express.Express;
  queue: JobQueue;
  /** Job uploads being read, per team (admission.ts). */
  uploads: UploadSlots;
  limits: ServerLimits;
  logger: Logger;
  /** Ends event streams, stops retention, cancels queued and running jobs and waits for the worker. */
  close(): Promise<void>;
}

/** Builds the app; listen with `listen(handle, port, host)` (or `app.listen`). */
export function createApp(deps: AppDeps): AppHandle {
  const logger = deps.logger ?? silentLogger();
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const retentionOpts = { ...DEFAULT_RETENTION, ...deps.retention };
  let retention: { sweep(): string[]; stop(): void } | null = null;
  // the speed clients estimate from: measured at start, then learned from finished jobs
  const speeds = new SpeedLearner();
  const backendName = deps.engine.backend.name;
  const queue = new JobQueue({
    maxQueue: limits.maxQueue,
    maxQueuePerTeam: limits.maxTeamQueue,
    run: speeds.wrap(backendName, createJobRunner(deps.engine.model, logger, { memoryBudgetMiB: deps.engine.memoryBudgetMiB, runtime: deps.engine.runtime })),
    describeError: (err) => describeJobError(err, logger),
    logger,
    onFinished: () => retention?.sweep(),
  });
  retention = startRetention(queue, retentionOpts);
  // A revoked team's jobs are canceled, whichever process revoked it.
  const presets = deps.presets;
  const revokedTeams = deps.revokedTeams ?? (presets ? async () => (await presets.teams.list()).filter((t) => t.revokedAt).map((t) => t.id) : undefined);
  const revocations = revokedTeams ? watchRevokedTeams({ revokedTeams, cancelTeam: (t) => queue.cancelTeam(t), logger }) : null;
  const streams: StreamSet = new Set();
  const uploads = new UploadSlots(limits.maxTeamUploads);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(hostCheck(deps.allowedHosts ?? []));
  app.use(cors(deps.allowedOrigins ?? []));
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(`${API_PREFIX}/health`, healthRouter());
  app.use(API_PREFIX, requireAuth(deps.authenticate));
  app.use(express.json({ limit: '1mb' }));
  app.use(
    `${API_PREFIX}/info`,
    infoRouter({ backend: deps.engine.backend, weights: deps.weightsInfo, queue, limits, speed: () => speeds.speed(backendName, deps.engine.speed?.() ?? null) }),
  );
  app.use(
    `${API_PREFIX}/jobs`,
    jobsRouter({ queue, pixels: new PixelBudget(limits.maxQueuedPixels, limits.maxTeamQueuedPixels), uploads, model: deps.engine.model, limits, presets: deps.presets, heartbeatMs: deps.heartbeatMs ?? 15_000, reauthMs: deps.reauthMs ?? 5_000, streams }),
  );
  app.use(`${API_PREFIX}/openapi.json`, openapiRouter());
  if (deps.presets) app.use(`${API_PREFIX}/presets`, createPresetsRouter({ store: deps.presets, limits }));
  app.use(notFound);
  app.use(errorHandler(logger));

  return {
    app,
    queue,
    uploads,
    limits,
    logger,
    async close() {
      retention?.stop();
      revocations?.stop();
      // Cancel first so subscribers see `canceled`, then end whatever streams remain.
      await queue.close();
      for (const end of [...streams]) end();
    },
  };
}

/** Starts listening (HTTPS with `tls`); resolves with the server and its base URL once bound. */
export function listen(handle: AppHandle, port: number, host = '127.0.0.1', tls?: TlsFiles): Promise<{ server: Server; url: string; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer(handle.app, tls);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const scheme = tls ? 'https' : 'http';
      resolve({ server, url: `${scheme}://${h === '0.0.0.0' || h === '[::]' ? '127.0.0.1' : h}:${addr.port}`, port: addr.port });
    });
    server.listen(port, host);
  });
}
