/** Teams on PostgreSQL: teams.ts's rules (names, one-time tokens, hashes only, revoke) in SQL. */
import type { Team, TeamStore } from '../contract.js';
import { checkRevocable, DEFAULT_TEAM, lookupHash, newTeam, teamExists, toTeam, type TeamRow } from '../teams.js';
import { isUniqueViolation, type Db } from './connection.js';

const TEAM_COLUMNS = 'id, name, created_at, revoked_at';

/** Teams in a PostgreSQL store. */
export class PostgresTeamStore implements TeamStore {
  constructor(private readonly db: Db) {}

  /** Adds the local team (the pairing token's) when missing; run at open. */
  async ensureDefault(): Promise<void> {
    await this.db.query('INSERT INTO teams (id, name, token_hash, created_at) VALUES ($1, $2, NULL, $3) ON CONFLICT DO NOTHING', [
      DEFAULT_TEAM.id,
      DEFAULT_TEAM.name,
      new Date().toISOString(),
    ]);
  }

  async create(name: string): Promise<{ team: Team; token: string }> {
    const { row, token } = newTeam(name);
    try {
      await this.db.query('INSERT INTO teams (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)', [row.id, row.name, row.token_hash, row.created_at]);
    } catch (err) {
      if (isUniqueViolation(err, 'teams_name_ci')) throw teamExists(row.name);
      throw err;
    }
    return { team: toTeam(row), token };
  }

  async list(): Promise<Team[]> {
    // Ordered like SQLite's NOCASE column: case-insensitive, then byte order.
    const rows = await this.db.query<TeamRow>(`SELECT ${TEAM_COLUMNS} FROM teams ORDER BY lower(name) COLLATE "C"`);
    return rows.map(toTeam);
  }

  async byName(name: string): Promise<Team | null> {
    const [row] = await this.db.query<TeamRow>(`SELECT ${TEAM_COLUMNS} FROM teams WHERE lower(name) = lower($1)`, [name.trim()]);
    return row ? toTeam(row) : null;
  }

  async revoke(name: string): Promise<Team> {
    const team = checkRevocable(await this.byName(name), name);
    await this.db.query('UPDATE teams SET token_hash = NULL, revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), team.id]);
    return (await this.byName(name))!;
  }

  async authenticate(token: string | undefined | null): Promise<{ teamId: string } | null> {
    const hash = lookupHash(token);
    if (!hash) return null;
    const [row] = await this.db.query<{ id: string }>('SELECT id FROM teams WHERE token_hash = $1 AND revoked_at IS NULL', [hash]);
    return row ? { teamId: row.id } : null;
  }
}
