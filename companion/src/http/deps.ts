/** What `createApp` is built from: the engine, auth, limits, and optional team presets. */
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { StylizeParamsInput } from '../../../shared/params.js';
import type { Vgg19 } from '../engine/vgg19.js';
import type { MeasuredSpeed } from '../../../shared/schedule.js';
import type { RetentionOptions } from '../jobs/retention.js';
import type { Authenticate } from './auth.js';
import type { ServerLimits } from './limits.js';

/** A preset's styles and default params, as `POST /v1/jobs {presetId}` uses them. */
export interface ResolvedPreset {
  styles: Array<{ data: Buffer; weight: number }>;
  params: StylizeParamsInput;
}

/** Team presets, provided by the presets store: a router mounted at /v1/presets and a resolver. */
export interface PresetsDeps {
  router: Router;
  /** The preset of this team, or null when it does not exist (→ 404 `preset_not_found`). */
  resolve(teamId: string, presetId: string): Promise<ResolvedPreset | null>;
}

/** Dependencies of the companion's Express app. */
export interface AppDeps {
  /**
   * The network and the device it runs on; `memoryBudgetMiB` is the device-memory budget for jobs
   * whose params give neither a tile nor a budget (large images are then computed in exact tiles).
   */
  engine: { model: Vgg19; backend: { name: string; device: string }; memoryBudgetMiB?: number; speed?: () => MeasuredSpeed | null };
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
  presets?: PresetsDeps;
  retention?: Partial<RetentionOptions>;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** How often an open event stream re-checks its token, to end it after a revoke or rotate (default 5 s). */
  reauthMs?: number;
}
