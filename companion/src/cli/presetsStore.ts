/** Shared plumbing of `atelier presets` and `atelier teams`: open the store, pick the team, map errors. */
import { UsageError } from './usageError.js';
import { DEFAULT_TEAM } from '../presets/db.js';
import { PresetError } from '../presets/errors.js';
import { decodingInspector } from '../presets/inspect.js';
import { PresetStore } from '../presets/store.js';
import { resolveDataDir } from '../io/dataDir.js';

/** Runs `fn` with an open store, closing it after; PresetErrors the user caused become UsageErrors (exit 2). */
export async function withStore<T>(dataDir: string | undefined, fn: (store: PresetStore) => Promise<T> | T): Promise<T> {
  const store = PresetStore.open({ dataDir: resolveDataDir(dataDir), inspectImage: decodingInspector() });
  try {
    return await fn(store);
  } catch (err) {
    if (err instanceof PresetError && err.code !== 'store_corrupt') throw new UsageError(err.message);
    throw err;
  } finally {
    store.close();
  }
}

/** The id of the team named `name`, or the local team's when omitted. */
export function teamIdOf(store: PresetStore, name: string | undefined): string {
  if (name === undefined) return DEFAULT_TEAM.id;
  const team = store.teams.byName(name);
  if (!team) throw new UsageError(`no team named '${name}' (see 'atelier teams list')`);
  return team.id;
}
