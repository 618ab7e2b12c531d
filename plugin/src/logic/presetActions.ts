/**
 * Pure rules for managing team presets in the UI: name checks before a rename, what a failed
 * rename/delete means for the designer (conflicts included), and reconciling the UI with a freshly
 * loaded list (selection, thumbnails).
 */

/** Longest preset name (the same limit as `shared/presets.ts`). */
export const PRESET_NAME_LIMIT = 100;

/** The message shown when someone else changed a preset first (HTTP 412 `stale_version`). */
export const CONFLICT_MESSAGE = 'Someone else changed this preset — reloaded the latest version';

/** The message shown when the preset was deleted meanwhile (HTTP 404). */
export const GONE_MESSAGE = 'Someone else deleted this preset — reloaded the list';

/** The minimal preset shape these rules need. */
export interface PresetLike {
  id: string;
  name: string;
  version: number;
  styles: ReadonlyArray<{ sha256: string }>;
}

/** Outcome of checking a new preset name. */
export type NameCheck = { ok: true; name: string; unchanged: boolean } | { ok: false; message: string };

/** Message for a name another preset of the team already has. */
export function nameTakenMessage(name: string): string {
  return `A preset named “${name}” already exists — pick another name`;
}

/**
 * Checks a new name for preset `selfId` against the list the UI knows: trimmed, 1..100 characters,
 * no control characters, not another preset's name (case-insensitively, like the companion).
 * `unchanged` is true when it equals the current name exactly (nothing to send).
 */
export function checkPresetName(raw: string, presets: readonly PresetLike[], selfId: string | null): NameCheck {
  const name = raw.trim();
  if (!name) return { ok: false, message: 'Give the preset a name' };
  if (name.length > PRESET_NAME_LIMIT) return { ok: false, message: `A preset name has at most ${PRESET_NAME_LIMIT} characters` };
  if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, message: 'A preset name may not contain control characters' };
  const self = presets.find((p) => p.id === selfId);
  if (self && self.name === name) return { ok: true, name, unchanged: true };
  const key = name.toLowerCase();
  if (presets.some((p) => p.id !== selfId && p.name.toLowerCase() === key)) return { ok: false, message: nameTakenMessage(name) };
  return { ok: true, name, unchanged: false };
}

/** A preset action that can fail against the companion. */
export type PresetAction = 'rename' | 'delete';

/** What the UI does after a failed rename or delete. */
export interface ActionFailure {
  message: string;
  /** Reload the list (the local copy is known to be out of date). */
  reload: boolean;
  /** For a delete: the preset is gone anyway, so treat it as done. */
  gone: boolean;
  /** Keep the rename field open so the designer can fix the name. */
  keepEditing: boolean;
}

/**
 * Maps a failed rename/delete (`status` 0 = unreachable, `code` from the API error) to what the
 * designer sees and what the UI does: 412 → conflict message + reload; 404 → gone + reload;
 * 409 → name taken (keep editing); 428 → reload (should not happen: the plugin always sends If-Match).
 */
export function describeActionFailure(action: PresetAction, err: { status: number; code: string; message: string }, name: string): ActionFailure {
  const base = { reload: false, gone: false, keepEditing: false };
  if (err.status === 412 || err.code === 'stale_version') return { ...base, message: CONFLICT_MESSAGE, reload: true };
  if (err.status === 404 || err.code === 'not_found') {
    return { ...base, message: action === 'delete' ? 'This preset was already deleted — reloaded the list' : GONE_MESSAGE, reload: true, gone: true };
  }
  if (err.status === 409 || err.code === 'name_taken') return { ...base, message: nameTakenMessage(name), reload: true, keepEditing: true };
  if (err.status === 428) return { ...base, message: 'The companion asked for the preset version — reloaded the list, try again', reload: true };
  if (err.status === 400) return { ...base, message: err.message, keepEditing: action === 'rename' };
  return { ...base, message: `Could not ${action} the preset: ${err.message}`, keepEditing: action === 'rename' };
}

/** Cache key of a preset's thumbnail: its first style image's content, so a replaced image shows anew. */
export function thumbKey(p: PresetLike): string {
  return `${p.id}:${p.styles[0]?.sha256 ?? ''}`;
}

/** How the UI follows a freshly loaded preset list. */
export interface Reconciled {
  /** The selected preset id, or null when it no longer exists. */
  selectedId: string | null;
  /** Thumbnail keys no current preset uses (revoke their object URLs). */
  staleThumbs: string[];
  /** Presets whose thumbnail is not loaded yet. */
  missingThumbs: string[];
  /** The selected preset's version changed (someone else edited it). */
  selectedChanged: boolean;
}

/** Reconciles selection and thumbnails with a new list (`previous` = the list before, if any). */
export function reconcilePresets(
  next: readonly PresetLike[],
  previous: readonly PresetLike[] | null | undefined,
  selectedId: string | null,
  loadedThumbs: Iterable<string>,
): Reconciled {
  const selected = selectedId === null ? undefined : next.find((p) => p.id === selectedId);
  const before = selectedId === null ? undefined : previous?.find((p) => p.id === selectedId);
  const wanted = new Set(next.map(thumbKey));
  const loaded = new Set(loadedThumbs);
  return {
    selectedId: selected ? selected.id : null,
    staleThumbs: [...loaded].filter((k) => !wanted.has(k)),
    missingThumbs: next.filter((p) => !loaded.has(thumbKey(p))).map((p) => p.id),
    selectedChanged: Boolean(before && (!selected || selected.version !== before.version)),
  };
}

/** Keys the preset grid reacts to. */
export type GridKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';

/**
 * Where focus moves in a grid of `count` items laid out in `columns` columns when `key` is pressed
 * at `index`; null when the key is not a grid key or the grid is empty. Stops at the edges.
 */
export function gridMove(index: number, key: string, count: number, columns: number): number | null {
  if (count <= 0) return null;
  const cols = Math.max(1, Math.floor(columns));
  const i = Math.min(Math.max(0, Math.floor(index)), count - 1);
  switch (key) {
    case 'ArrowLeft':
      return Math.max(0, i - 1);
    case 'ArrowRight':
      return Math.min(count - 1, i + 1);
    case 'ArrowUp':
      return i - cols >= 0 ? i - cols : i;
    case 'ArrowDown':
      return i + cols < count ? i + cols : i;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}
