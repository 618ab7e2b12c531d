/**
 * Team presets for a running companion, in one call: the store (SQLite in the data dir, or
 * PostgreSQL with `databaseUrl`) and an `authenticate` that accepts the pairing token (as the local
 * team) and every team token. `createApp({ presets: service.store })` serves them at /v1/presets
 * and resolves `presetId`s.
 */
import type { PresetsStore } from './contract.js';
import { decodingInspector } from './inspect.js';
import { openPresetsStore } from './openStores.js';
import { teamAuthenticator } from './teams.js';

/** Token → team, as `createApp` expects it. */
export type TeamAuthenticate = (token: string) => Promise<{ teamId: string } | null>;

/** What `openPresetsService` returns. */
export interface PresetsService {
  store: PresetsStore;
  /** Pairing token → local team; a team token → its team; anything else → null. */
  authenticate: TeamAuthenticate;
  /** Closes the database. */
  close(): Promise<void>;
}

/** Opens the preset store and its authenticator. */
export async function openPresetsService(options: {
  dataDir: string;
  /** `postgres://…`: the team server's database; omitted: SQLite in `dataDir`. */
  databaseUrl?: string;
  /** Checks the pairing token (token.ts `fileTokenAuthenticator`); omitted: team tokens only. */
  pairing?: TeamAuthenticate;
  /** Largest style image accepted, in pixels. */
  maxPixels?: number;
}): Promise<PresetsService> {
  const store = await openPresetsStore({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, inspectImage: decodingInspector(options.maxPixels) });
  return {
    store,
    authenticate: teamAuthenticator(store.teams, options.pairing),
    close: () => store.close(),
  };
}
