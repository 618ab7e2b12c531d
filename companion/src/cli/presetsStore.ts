/** Shared plumbing of `atelier presets` and `atelier teams`: open the store, pick the team, map errors. */
import { UsageError } from './usageError.js';
import type { PresetsStore } from '../presets/contract.js';
import { PresetError } from '../presets/errors.js';
import { DEFAULT_TEAM } from '../presets/teams.js';
import { resolveDataDir } from '../io/dataDir.js';
import { openStoreForCli } from './databaseOption.js';

/** Where a `presets`/`teams` command finds the store: `--database`, else the data dir's SQLite. */
export interface StoreFlags {
  dataDir?: string;
  database?: string;
}

/** Runs `fn` with an open store, closing it after; PresetErrors the user caused become UsageErrors (exit 2). */
export async function withStore<T>(flags: StoreFlags, fn: (store: PresetsStore) => Promise<T> | T): Promise<T> {
  const store = await openStoreForCli({ dataDir: resolveDataDir(flags.dataDir), database: flags.database });
  try {
    return await fn(store);
  } catch (err) {
    if (err instanceof PresetError && err.code !== 'store_corrupt') throw new UsageError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

/** The id of the team named `name`, or the local team's when omitted. */
export async function teamIdOf(store: PresetsStore, name: string | undefined): Promise<string> {
  if (name === undefined) return DEFAULT_TEAM.id;
  const team = await store.teams.byName(name);
  if (!team) throw new UsageError(`no team named '${name}' (see 'atelier teams list')`);
  return team.id;
}
