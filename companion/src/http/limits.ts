/** Per-request limits of the companion's HTTP API (reported by `GET /v1/info`). */
import { PARAM_LIMITS } from '../../../shared/params.js';
import { DEFAULT_MAX_PIXELS } from '../io/pixelLimit.js';

/** Limits applied to every request and job. */
export interface ServerLimits {
  /** Most pixels of any uploaded image (decompression bombs are refused before decoding). */
  maxPixels: number;
  /** Most bytes of one uploaded file. */
  maxFileBytes: number;
  /** Most files in one request (content + style + init). */
  maxFiles: number;
  /** Most bytes of one request body (Content-Length). */
  maxBodyBytes: number;
  /** Largest `params.size`. */
  maxSize: number;
  /** Largest `params.iterations`. */
  maxIterations: number;
  /** Most jobs waiting in the queue. */
  maxQueue: number;
  /** Most jobs one team may have waiting (its share of the queue). */
  maxTeamQueue: number;
  /** Most decoded image pixels held by all waiting and running jobs together. */
  maxQueuedPixels: number;
  /** Most decoded image pixels held by one team's waiting and running jobs. */
  maxTeamQueuedPixels: number;
  /** Most job uploads of one team read at the same time (bodies held in memory while they arrive). */
  maxTeamUploads: number;
}

/**
 * Defaults: 64 MP images, 50 MiB files, 16 files, 200 MiB bodies, the params schema's ranges, 16
 * queued jobs and 512 MP of decoded images held (≈1.5–2 GiB), half of each per team at most (less
 * when more teams want some: jobs/fairness.ts), 2 uploads read at a time per team.
 */
export const DEFAULT_LIMITS: ServerLimits = {
  maxPixels: DEFAULT_MAX_PIXELS,
  maxFileBytes: 50 * 2 ** 20,
  maxFiles: 16,
  maxBodyBytes: 200 * 2 ** 20,
  maxSize: PARAM_LIMITS.maxSize,
  maxIterations: PARAM_LIMITS.maxIterations,
  maxQueue: 16,
  maxTeamQueue: 8,
  maxQueuedPixels: 512e6,
  maxTeamQueuedPixels: 256e6,
  maxTeamUploads: 2,
};
