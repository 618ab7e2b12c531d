/**
 * What `atelier doctor --database URL` can report about the presets database without changing it:
 * reachable or why not, the server's version, and whether its schema is this Atelier's.
 */
import pg from 'pg';
import { checkDatabaseUrl, describeConnectError } from './connection.js';
import { redactUrl } from '../../redactUrl.js';
import { knownMigrations, MIGRATIONS_TABLE } from './migrate.js';

/** The probe's answer. */
export interface DatabaseProbe {
  /** The URL with its password hidden. */
  url: string;
  reachable: boolean;
  /** `server_version`, e.g. "15.14 (Debian 15.14-0+deb12u1)". */
  serverVersion?: string;
  /** `current`: migrated by this Atelier; `empty`: never opened (the first open migrates); `behind`: migrations to apply at open; `newer`: migrated by a newer Atelier (refused). */
  schema?: 'current' | 'empty' | 'behind' | 'newer';
  /** Why it is unusable (bad URL, unreachable). */
  error?: string;
}

/** Connects once, reads the version and the applied migrations, and disconnects. */
export async function probeDatabase(url: string): Promise<DatabaseProbe> {
  try {
    checkDatabaseUrl(url);
  } catch (err) {
    return { url: '(hidden)', reachable: false, error: (err as Error).message };
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    return { url: redactUrl(url), reachable: false, error: describeConnectError(url, err).message };
  }
  try {
    const serverVersion = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
    const table = await client.query('SELECT 1 FROM information_schema.tables WHERE table_name = $1', [MIGRATIONS_TABLE]);
    if (table.rowCount === 0) return { url: redactUrl(url), reachable: true, serverVersion, schema: 'empty' };
    const applied = new Set((await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`)).rows.map((r) => r.name));
    const known = knownMigrations();
    const schema = [...applied].some((n) => !known.includes(n)) ? 'newer' : known.every((n) => applied.has(n)) ? 'current' : 'behind';
    return { url: redactUrl(url), reachable: true, serverVersion, schema };
  } finally {
    await client.end();
  }
}
