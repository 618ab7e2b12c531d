/**
 * The one store contract of team presets, teams and style images. Two implementations keep it:
 * `SqlitePresetStore` (store.ts: embedded, a file in the data dir, for one companion) and
 * `PostgresPresetStore` (postgres/store.ts: a team server, shared by several API processes and
 * workers). test/unit/presetsContract.test.ts runs the same suite against both.
 *
 * Rules every implementation keeps: every query is scoped by team (another team's preset answers
 * like a missing one); names are unique per team, case-insensitive; writes of an existing preset
 * need its current version (`precondition_required` / `stale_version`); `writeAll` is all or
 * nothing; team tokens are stored as sha256 only; images are rows of one team, so what one team
 * does never depends on (and never reveals) what another team stored.
 */
import type { StylizeParamsInput } from '../../../shared/params.js';
import type { Preset } from '../../../shared/presets.js';

/** Checks that bytes are a usable image and gives its size and MIME type; throws (e.g. ImageError) when not. */
export type ImageInspector = (data: Buffer) => Promise<{ width: number; height: number; contentType: string }>;

/** A preset's styles and settings, ready for a stylization job. */
export interface ResolvedPreset {
  styles: Array<{ data: Buffer; weight: number }>;
  params: StylizeParamsInput;
}

/** One preset of an all-or-nothing `writeAll`: created, or replacing `replace.id` at `replace.version`. */
export interface PresetWrite {
  /** Names the item in error messages (e.g. "preset 'Ink'"). */
  label: string;
  replace?: { id: string; version: number };
  input: unknown;
  styleImages: Buffer[];
}

/** A team as listed by `atelier teams list` (never its token). */
export interface Team {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  isDefault: boolean;
}

/** Teams and their tokens. */
export interface TeamStore {
  /** Creates a team; returns it with its token, which is shown once and never stored. */
  create(name: string): Promise<{ team: Team; token: string }>;
  /** All teams, revoked ones included, by name. */
  list(): Promise<Team[]>;
  /** The team with this name (case-insensitive), or null. */
  byName(name: string): Promise<Team | null>;
  /** Revokes a team's token at once; its presets stay but no token reaches them. */
  revoke(name: string): Promise<Team>;
  /** The team a token belongs to, or null (unknown, empty or revoked token). */
  authenticate(token: string | undefined | null): Promise<{ teamId: string } | null>;
}

/** Team presets and their style images. */
export interface PresetsStore {
  /** Which implementation: for messages and `doctor`. */
  readonly kind: 'sqlite' | 'postgres';
  readonly teams: TeamStore;
  /** The team's presets, by name. */
  list(teamId: string): Promise<Preset[]>;
  /** One preset of the team, or null (unknown id, or another team's: indistinguishable). */
  get(teamId: string, id: string): Promise<Preset | null>;
  /** The team's preset with this name (case-insensitive), or null. */
  getByName(teamId: string, name: string): Promise<Preset | null>;
  /** Creates a preset from a `presetInputSchema` body and 1..8 style images (each validated). */
  create(teamId: string, input: unknown, styleImages: Buffer[]): Promise<Preset>;
  /** Creates or replaces several presets all or nothing: everything is validated before the first row. */
  writeAll(teamId: string, items: PresetWrite[]): Promise<void>;
  /** `PUT`: name, params and blend; style images replaced when given, else kept. */
  replace(teamId: string, id: string, expectedVersion: number | null, input: unknown, styleImages?: Buffer[]): Promise<Preset>;
  /** `PATCH`: only the given fields; `params` merged key by key (`null` removes a key). */
  patch(teamId: string, id: string, expectedVersion: number | null, patch: unknown, styleImages?: Buffer[]): Promise<Preset>;
  /** Deletes a preset (current version required) and the team's images no other preset of the team uses. */
  delete(teamId: string, id: string, expectedVersion: number | null): Promise<void>;
  /** The bytes and MIME type of a preset's `index`-th style image, or null. */
  styleImage(teamId: string, id: string, index: number): Promise<{ data: Buffer; contentType: string; sha256: string } | null>;
  /** A preset's images and params for a job, or null when the team has no such preset. */
  resolve(teamId: string, id: string): Promise<ResolvedPreset | null>;
  /** Releases the database (connections, file handles). */
  close(): Promise<void>;
}
