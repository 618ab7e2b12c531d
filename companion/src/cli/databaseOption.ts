/**
 * `--database postgres://…`: the one definition of the flag for every command that opens the preset
 * store (serve, worker, teams, presets), and the one way a command opens it: `openStoreForCli`
 * turns a bad URL into exit 2 and an unreachable server into exit 1, each one line naming the flag.
 */
import type { Command } from 'commander';
import type { PresetsStore } from '../presets/contract.js';
import { DatabaseOpenError } from '../presets/errors.js';
import { UsageError } from './usageError.js';

/** Adds `--database URL` to `cmd`. */
export function databaseOption(cmd: Command): Command {
  return cmd.option(
    '--database <url>',
    'PostgreSQL for presets, teams and style images of a team server (postgres://USER:PASSWORD@HOST:PORT/DB); default: SQLite in the data dir',
  );
}

/** A store-opening failure as the CLI reports it: `--database: …`, exit 2 for a bad URL, 1 for an unreachable server. */
export function asDatabaseUsageError(err: unknown): unknown {
  if (err instanceof DatabaseOpenError) return new UsageError(`--database: ${err.message}`, err.reason === 'bad_url' ? 2 : 1);
  return err;
}

/** Checks a `--database` URL before anything slow starts (exit 2 for a malformed one). */
export async function checkDatabaseFlag(url: string | undefined): Promise<void> {
  if (url === undefined) return;
  const { checkDatabaseUrl } = await import('../presets/postgres/connection.js');
  try {
    checkDatabaseUrl(url);
  } catch (err) {
    throw asDatabaseUsageError(err);
  }
}

/** Opens the store of `--database` (else the SQLite one of `dataDir`), with the CLI's errors. */
export async function openStoreForCli(options: { dataDir: string; database?: string; maxPixels?: number }): Promise<PresetsStore> {
  const [{ openPresetsStore }, { decodingInspector }] = await Promise.all([import('../presets/openStores.js'), import('../presets/inspect.js')]);
  try {
    return await openPresetsStore({ dataDir: options.dataDir, databaseUrl: options.database, inspectImage: decodingInspector(options.maxPixels) });
  } catch (err) {
    throw asDatabaseUsageError(err);
  }
}
