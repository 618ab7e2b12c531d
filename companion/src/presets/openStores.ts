/**
 * Opens the preset store a command asks for, in one place for `serve`, `worker`, `teams` and
 * `presets`: PostgreSQL when `databaseUrl` is given (a team server), else the embedded SQLite
 * store in the data dir. The pairing token stays in the data dir either way (token.ts).
 */
import type { ImageInspector, PresetsStore } from './contract.js';
import { decodingInspector } from './inspect.js';

/** Where the presets live. */
export interface StoreLocation {
  /** The companion's data dir: the SQLite database and its image files when there is no `databaseUrl`. */
  dataDir: string;
  /** `postgres://…`: presets, teams and images in PostgreSQL instead. */
  databaseUrl?: string;
  /** The check every style image passes before it is stored (default: a full decode, any size up to the default limit). */
  inspectImage?: ImageInspector;
}

/**
 * The store at `location`. Throws postgres/connection.ts DatabaseOpenError (`bad_url`,
 * `unreachable`) for a database that cannot be used; the CLI turns it into a one-line message
 * naming `--database` (cli/presetsStore.ts `databaseError`).
 */
export async function openPresetsStore(location: StoreLocation): Promise<PresetsStore> {
  const inspectImage = location.inspectImage ?? decodingInspector();
  if (location.databaseUrl !== undefined) {
    // Loaded only in team mode: the embedded default needs no PostgreSQL client.
    const { PostgresPresetStore } = await import('./postgres/store.js');
    return PostgresPresetStore.open({ databaseUrl: location.databaseUrl, inspectImage });
  }
  const { SqlitePresetStore } = await import('./store.js');
  return SqlitePresetStore.open({ dataDir: location.dataDir, inspectImage });
}
