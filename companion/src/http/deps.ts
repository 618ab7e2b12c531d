/** What `createApp` is built from: the engine, auth, limits, and optional team presets. */
import type { OrtRuntime, Vgg19 } from '../engine/index.js';
import type { Logger } from 'pino';
import type { MeasuredSpeed } from '../../../shared/schedule.js';
import type { RetentionOptions } from '../jobs/retention.js';
import type { PresetsStore } from '../presets/contract.js';
import type { Authenticate } from './auth.js';
import type { ServerLimits } from './limits.js';

/** Dependencies of the companion's Express app. */
export interface AppDeps {
  /**
   * The network and the device it runs on; `memoryBudgetMiB` is the device-memory budget for jobs
   * whose params give neither a tile nor a budget (large images are then computed in exact tiles).
   */
  engine: { model: Vgg19; runtime?: OrtRuntime; backend: { name: string; device: string }; memoryBudgetMiB?: number; speed?: () => MeasuredSpeed | null };
  weightsInfo: { source: string; layers: string[] };
  /** Token → team; every route but health requires a token it accepts. */
  authenticate: Authenticate;
  /** The companion's data dir (token, presets database). */
  dataDir: string;
  limits?: Partial<ServerLimits>;
  /** Extra Host names accepted besides localhost / 127.0.0.1 / [::1]. */
  allowedHosts?: string[];
  /** Extra web origins answered with CORS besides `null` and Figma's (a team server's web clients). */
  allowedOrigins?: string[];
  logger?: Logger;
  /** Team presets: served at /v1/presets, and the styles of `POST /v1/jobs {presetId}`. */
  presets?: PresetsStore;
  retention?: Partial<RetentionOptions>;
  /** Ids of revoked teams, polled to cancel their jobs (default: the revoked teams of `presets`). */
  revokedTeams?: () => string[] | Promise<string[]>;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** How often an open event stream re-checks its token, to end it after a revoke or rotate (default 5 s). */
  reauthMs?: number;
}
