/**
 * Connecting to PostgreSQL: the `--database` URL checked before any connection, a pool, errors
 * that say what went wrong in one line (never the password), and transactions that serialize the
 * writes of one team.
 */
import pg from 'pg';
import { DatabaseOpenError } from '../errors.js';
import { nameTaken } from '../rules.js';
import { redactUrl } from '../../redactUrl.js';

/** Throws `bad_url` unless `url` is a `postgres://` or `postgresql://` URL with a host. */
export function checkDatabaseUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DatabaseOpenError('bad_url', `'${url.includes('@') ? '(hidden)' : url}' is not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DatabaseOpenError('bad_url', `${u.protocol}// is not PostgreSQL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  if (!u.hostname) throw new DatabaseOpenError('bad_url', `${redactUrl(url)} names no host; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
}

/** One line saying why the server did not answer (connection refused, authentication, unknown database…). */
export function describeConnectError(url: string, err: unknown): DatabaseOpenError {
  const e = err as { code?: string; message?: string };
  const detail = e.code && !/^[0-9A-Z]{5}$/.test(e.code) ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(err));
  return new DatabaseOpenError('unreachable', `cannot reach PostgreSQL at ${redactUrl(url)} (${detail.split('\n')[0]})`, { cause: err });
}

/** Called with each statement a store runs and the rows it returned or changed (tests count the work). */
export type StatementObserver = (sql: string, rows: number) => void;

/** A query function bound to one client, reporting each statement. */
export type Query = <R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/** A pool with statement reporting and team-serialized transactions. */
export class Db {
  constructor(
    readonly pool: pg.Pool,
    private readonly observe?: StatementObserver,
  ) {}

  /** Runs one statement outside any transaction. */
  query: Query = async (sql, params) => this.run(this.pool, sql, params);

  /**
   * Runs `fn` in one transaction; with `lockTeam`, first takes that team's transaction-scoped
   * advisory lock, so the writes of one team happen one at a time (version and name checks, image
   * GC) while other teams never wait. Unique violations of a preset name become `name_taken`.
   */
  async transaction<T>(lockTeam: string | null, fn: (q: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const q: Query = (sql, params) => this.run(client, sql, params);
    let broken = false;
    try {
      await q('BEGIN');
      if (lockTeam !== null) await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TEAM_LOCK_SPACE, lockTeam]);
      const result = await fn(q);
      await q('COMMIT');
      return result;
    } catch (err) {
      // A client whose ROLLBACK fails (connection lost) is discarded, not returned to the pool.
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async run<R extends pg.QueryResultRow>(on: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]): Promise<R[]> {
    const res = await on.query<R>(sql, params);
    this.observe?.(sql, res.rowCount ?? res.rows.length);
    return res.rows;
  }
}

/** First key of the two-key advisory locks of team writes (node-pg-migrate uses the one-key form). */
const TEAM_LOCK_SPACE = 0x61746c; // "atl"

/** Whether `err` is PostgreSQL's unique violation of the named index. */
export function isUniqueViolation(err: unknown, index: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === index;
}

/** Re-throws a unique violation of a preset name as `name_taken` (the backstop of the checks under the team lock). */
export function nameClash(err: unknown, name: string): unknown {
  return isUniqueViolation(err, 'presets_team_name_ci') ? nameTaken(name) : err;
}
