/** Hashes of the presets modules: image content and team tokens, hex sha256. */
import crypto from 'node:crypto';

/** sha256 of bytes, hex. */
export function sha256Hex(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** sha256 of a token, hex: what both stores keep instead of the token. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
