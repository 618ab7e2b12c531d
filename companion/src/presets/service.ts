/**
 * Team presets for a running companion, in one call: the store in the data dir and an
 * `authenticate` that accepts the pairing token (as the local team) and every team token.
 * `createApp({ presets: service.store })` serves them at /v1/presets and resolves `presetId`s.
 */
import { decodingInspector } from './inspect.js';
import { PresetStore } from './store.js';
import { teamAuthenticator } from './teams.js';

/** Token → team, as `createApp` expects it. */
export type TeamAuthenticate = (token: string) => Promise<{ teamId: string } | null>;

/** What `openPresetsService` returns. */
export interface PresetsService {
  store: PresetStore;
  /** Pairing token → local team; a team token → its team; anything else → null. */
  authenticate: TeamAuthenticate;
  /** Closes the database. */
  close(): void;
}

/** Opens the preset store of a data dir and its authenticator. */
export function openPresetsService(options: {
  dataDir: string;
  /** Checks the pairing token (token.ts `fileTokenAuthenticator`); omitted: team tokens only. */
  pairing?: TeamAuthenticate;
  /** Largest style image accepted, in pixels. */
  maxPixels?: number;
}): PresetsService {
  const store = PresetStore.open({ dataDir: options.dataDir, inspectImage: decodingInspector(options.maxPixels) });
  return {
    store,
    authenticate: teamAuthenticator(store.teams, options.pairing),
    close: () => store.close(),
  };
}
