/**
 * Team presets for a running companion, in one call: the store in the data dir, an `authenticate`
 * that accepts the pairing token (as the local team) and every team token, and the `presets` deps
 * of `createApp` (router + resolver for `POST /v1/jobs {presetId}`).
 */
import type { Router } from 'express';
import { createPresetsRouter } from '../http/presetsRouter.js';
import type { ServerLimits } from '../http/limits.js';
import { decodingInspector } from './inspect.js';
import { PresetStore, type ResolvedPreset } from './store.js';
import { teamAuthenticator } from './teams.js';

/** Token → team, as `createApp` expects it. */
export type TeamAuthenticate = (token: string) => Promise<{ teamId: string } | null>;

/** What `openPresetsService` returns. */
export interface PresetsService {
  store: PresetStore;
  /** Pairing token → local team; a team token → its team; anything else → null. */
  authenticate: TeamAuthenticate;
  /** `createApp({ presets })`. */
  presets: { router: Router; resolve(teamId: string, presetId: string): Promise<ResolvedPreset | null> };
  /** Closes the database. */
  close(): void;
}

/** Opens the preset store of a data dir and builds the app's presets deps and authenticator. */
export function openPresetsService(options: {
  dataDir: string;
  /** Checks the pairing token (token.ts `fileTokenAuthenticator`); omitted: team tokens only. */
  pairing?: TeamAuthenticate;
  limits?: Partial<Pick<ServerLimits, 'maxPixels' | 'maxFileBytes' | 'maxBodyBytes'>>;
}): PresetsService {
  const store = PresetStore.open({ dataDir: options.dataDir, inspectImage: decodingInspector(options.limits?.maxPixels) });
  return {
    store,
    authenticate: teamAuthenticator(store.teams, options.pairing),
    presets: {
      router: createPresetsRouter({ store, limits: options.limits }),
      resolve: (teamId, presetId) => store.resolve(teamId, presetId),
    },
    close: () => store.close(),
  };
}
