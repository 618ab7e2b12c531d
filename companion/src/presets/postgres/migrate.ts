/**
 * The PostgreSQL schema, migrated by node-pg-migrate when a store opens: the SQL files of
 * companion/migrations/postgres/ (copied to dist/cli/migrations/postgres/ in the package), applied in order in one transaction
 * under node-pg-migrate's advisory lock, so several API processes and workers starting together
 * migrate once. A database migrated by a newer Atelier is refused rather than written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';
import { packageRoot } from '../../packageRoot.js';

/** The table where node-pg-migrate records the applied migrations. */
export const MIGRATIONS_TABLE = 'atelier_migrations';

/** The folder of the migration files: the sources' in a clone, the compiled CLI's copy in the package. */
export function migrationsDir(): string {
  const root = packageRoot();
  const source = path.join(root, 'companion', 'migrations', 'postgres');
  return fs.existsSync(source) ? source : path.join(root, 'dist', 'cli', 'migrations', 'postgres');
}

/** Names (file names without `.sql`) of the migrations this code knows, in order. */
export function knownMigrations(): string[] {
  return fs
    .readdirSync(migrationsDir())
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -'.sql'.length))
    .sort();
}

/** Applies the missing migrations on `client` (connected); throws when the database is newer than this code. */
export async function migrate(client: pg.ClientBase): Promise<void> {
  const silent = (): void => undefined;
  await runner({
    dbClient: client,
    dir: migrationsDir(),
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    checkOrder: true,
    singleTransaction: true,
    // Another process migrating at the same moment: wait for it, then find nothing left to do.
    advisoryLockMode: 'wait',
    logger: { debug: silent, info: silent, warn: silent, error: silent },
  });
  const known = new Set(knownMigrations());
  const applied = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
  const unknown = applied.rows.map((r) => r.name).filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new Error(`the presets database has migrations this companion does not know (${unknown.join(', ')}): it was migrated by a newer Atelier; upgrade Atelier`);
  }
}
