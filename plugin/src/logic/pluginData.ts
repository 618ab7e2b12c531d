/**
 * Records Atelier keeps in plugin data (saved fills, pair links, provenance) are JSON with a
 * version field. Reading one back: the record when it parses and its shape check passes, else null
 * (empty, written by someone else, or by another version).
 */
export function decodeRecord<T>(text: string, isValid: (v: Partial<T>) => boolean): T | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<T> | null;
    return v !== null && typeof v === 'object' && isValid(v) ? (v as T) : null;
  } catch {
    return null;
  }
}
