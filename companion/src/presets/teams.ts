/**
 * Teams and their tokens. A token maps to exactly one team; only its sha256 is stored, so a stolen
 * database reveals no usable token. The local default team (`DEFAULT_TEAM`) has no row token: its
 * token is the companion's pairing token (token.ts), checked first by `teamAuthenticator`.
 * The rules live here once; `SqliteTeamStore` persists them in SQLite, postgres/teams.ts in PostgreSQL.
 */
import crypto from 'node:crypto';
import { generateToken } from '../token.js';
import { DEFAULT_TEAM } from './defaultTeam.js';
import type { Team, TeamStore } from './contract.js';
import type { PresetsDb } from './db.js';
import { PresetError } from './errors.js';
import { hashToken } from './hash.js';

export type { Team } from './contract.js';
export { hashToken } from './hash.js';

export { DEFAULT_TEAM } from './defaultTeam.js';

/** Team names: 1..64 letters, digits, spaces, `.`, `_` or `-`, starting with a letter or digit. */
export const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/** A team row as both stores read it. */
export interface TeamRow {
  id: string;
  name: string;
  created_at: string;
  revoked_at: string | null;
}

/** The row of a new team and its token (shown once): the name is checked, only the token's hash is kept. */
export function newTeam(name: string): { row: TeamRow & { token_hash: string }; token: string } {
  const clean = name.trim();
  if (!TEAM_NAME.test(clean)) {
    throw new PresetError('invalid_team', `team name '${name}': use 1-64 letters, digits, spaces, '.', '_' or '-'`);
  }
  const token = generateToken();
  const row = {
    id: `team_${crypto.randomBytes(9).toString('base64url')}`,
    name: clean,
    token_hash: hashToken(token),
    created_at: new Date().toISOString(),
    revoked_at: null,
  };
  return { row, token };
}

/** The error of a name another team has (case-insensitive). */
export function teamExists(name: string): PresetError {
  return new PresetError('team_exists', `team '${name.trim()}' already exists`);
}

/** Throws unless `team` may be revoked (it exists and is not the pairing token's team). */
export function checkRevocable(team: Team | null, name: string): Team {
  if (!team) throw new PresetError('team_not_found', `no team named '${name}'`);
  if (team.isDefault) {
    throw new PresetError('invalid_team', "the local team is the pairing token's team; rotate that token with 'atelier token rotate' instead");
  }
  return team;
}

/** The hash to look up for a presented token, or null when it cannot be a token. */
export function lookupHash(token: string | undefined | null): string | null {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) return null;
  return hashToken(token);
}

/** A team as listed, from its row. */
export function toTeam(row: TeamRow): Team {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    isDefault: row.id === DEFAULT_TEAM.id,
  };
}

const TEAM_COLUMNS = 'id, name, created_at, revoked_at';

/** Teams in the embedded SQLite store. */
export class SqliteTeamStore implements TeamStore {
  constructor(private readonly db: PresetsDb) {}

  async create(name: string): Promise<{ team: Team; token: string }> {
    const { row, token } = newTeam(name);
    this.db
      .transaction(() => {
        if (this.byNameSync(row.name)) throw teamExists(row.name);
        this.db
          .prepare('INSERT INTO teams (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)')
          .run(row.id, row.name, row.token_hash, row.created_at);
      })
      .immediate();
    return { team: toTeam(row), token };
  }

  async list(): Promise<Team[]> {
    const rows = this.db.prepare(`SELECT ${TEAM_COLUMNS} FROM teams ORDER BY name`).all() as TeamRow[];
    return rows.map(toTeam);
  }

  async byName(name: string): Promise<Team | null> {
    return this.byNameSync(name);
  }

  async revoke(name: string): Promise<Team> {
    return this.db
      .transaction(() => {
        const team = checkRevocable(this.byNameSync(name), name);
        if (!team.revokedAt) {
          this.db.prepare('UPDATE teams SET token_hash = NULL, revoked_at = ? WHERE id = ?').run(new Date().toISOString(), team.id);
        }
        return this.byNameSync(name)!;
      })
      .immediate();
  }

  async authenticate(token: string | undefined | null): Promise<{ teamId: string } | null> {
    const hash = lookupHash(token);
    if (!hash) return null;
    const row = this.db.prepare('SELECT id FROM teams WHERE token_hash = ? AND revoked_at IS NULL').get(hash) as { id: string } | undefined;
    return row ? { teamId: row.id } : null;
  }

  private byNameSync(name: string): Team | null {
    const row = this.db.prepare(`SELECT ${TEAM_COLUMNS} FROM teams WHERE name = ?`).get(name.trim()) as TeamRow | undefined;
    return row ? toTeam(row) : null;
  }
}

/**
 * The `authenticate` function of a companion with teams: the pairing token (checked by `pairing`,
 * e.g. token.ts `fileTokenAuthenticator`) acts as the default team, any other token as its team.
 */
export function teamAuthenticator(
  teams: Pick<TeamStore, 'authenticate'>,
  pairing?: (token: string) => Promise<{ teamId: string } | null>,
): (token: string) => Promise<{ teamId: string } | null> {
  return async (token) => (pairing ? await pairing(token) : null) ?? (await teams.authenticate(token));
}
