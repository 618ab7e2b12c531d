/**
 * Teams and their tokens. A token maps to exactly one team; only its sha256 is stored, so a stolen
 * database reveals no usable token. The local default team (`DEFAULT_TEAM`) has no row token: its
 * token is the companion's pairing token (token.ts), checked first by `teamAuthenticator`.
 */
import crypto from 'node:crypto';
import { generateToken } from '../token.js';
import { DEFAULT_TEAM, type PresetsDb } from './db.js';
import { PresetError } from './errors.js';

/** A team as listed by `atelier teams list` (never its token). */
export interface Team {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  isDefault: boolean;
}

/** Team names: 1..64 letters, digits, spaces, `.`, `_` or `-`, starting with a letter or digit. */
export const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

interface TeamRow {
  id: string;
  name: string;
  created_at: string;
  revoked_at: string | null;
}

/** sha256 of a token, hex: what the database stores. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

function toTeam(row: TeamRow): Team {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    isDefault: row.id === DEFAULT_TEAM.id,
  };
}

/** Creates, lists and revokes teams, and maps tokens to teams. */
export class TeamRegistry {
  constructor(private readonly db: PresetsDb) {}

  /** Creates a team; returns it with its token, which is shown once and never stored. */
  create(name: string): { team: Team; token: string } {
    const clean = name.trim();
    if (!TEAM_NAME.test(clean)) {
      throw new PresetError('invalid_team', `team name '${name}': use 1-64 letters, digits, spaces, '.', '_' or '-'`);
    }
    const token = generateToken();
    const id = `team_${crypto.randomBytes(9).toString('base64url')}`;
    const now = new Date().toISOString();
    this.db
      .transaction(() => {
        if (this.byName(clean)) throw new PresetError('team_exists', `team '${clean}' already exists`);
        this.db
          .prepare('INSERT INTO teams (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)')
          .run(id, clean, hashToken(token), now);
      })
      .immediate();
    return { team: this.byName(clean)!, token };
  }

  /** All teams, revoked ones included, by name. */
  list(): Team[] {
    const rows = this.db.prepare('SELECT id, name, created_at, revoked_at FROM teams ORDER BY name').all() as TeamRow[];
    return rows.map(toTeam);
  }

  /** The team with this name (case-insensitive), or null. */
  byName(name: string): Team | null {
    const row = this.db.prepare('SELECT id, name, created_at, revoked_at FROM teams WHERE name = ?').get(name.trim()) as
      | TeamRow
      | undefined;
    return row ? toTeam(row) : null;
  }

  /** Revokes a team's token at once; its presets stay in the store but no token reaches them. */
  revoke(name: string): Team {
    return this.db
      .transaction(() => {
        const team = this.byName(name);
        if (!team) throw new PresetError('team_not_found', `no team named '${name}'`);
        if (team.isDefault) {
          throw new PresetError('invalid_team', "the local team is the pairing token's team; rotate that token with 'atelier token rotate' instead");
        }
        if (!team.revokedAt) {
          this.db
            .prepare('UPDATE teams SET token_hash = NULL, revoked_at = ? WHERE id = ?')
            .run(new Date().toISOString(), team.id);
        }
        return this.byName(name)!;
      })
      .immediate();
  }

  /** The team a token belongs to, or null (unknown, empty or revoked token). */
  authenticate(token: string | undefined | null): { teamId: string } | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return null;
    const row = this.db
      .prepare('SELECT id FROM teams WHERE token_hash = ? AND revoked_at IS NULL')
      .get(hashToken(token)) as { id: string } | undefined;
    return row ? { teamId: row.id } : null;
  }
}

/**
 * The `authenticate` function of a companion with teams: the pairing token (checked by `pairing`,
 * e.g. token.ts `fileTokenAuthenticator`) acts as the default team, any other token as its team.
 */
export function teamAuthenticator(
  registry: TeamRegistry,
  pairing?: (token: string) => Promise<{ teamId: string } | null>,
): (token: string) => Promise<{ teamId: string } | null> {
  return async (token) => (pairing ? await pairing(token) : null) ?? registry.authenticate(token);
}
