/** Errors of the preset store, each with a stable `code`; messages are safe to show (never another team's data). */

/** Stable error codes of the preset store and team registry. */
export type PresetErrorCode =
  | 'not_found'
  | 'name_taken'
  | 'stale_version'
  | 'precondition_required'
  | 'invalid_preset'
  | 'invalid_image'
  | 'team_exists'
  | 'team_not_found'
  | 'invalid_team'
  | 'invalid_bundle'
  | 'store_corrupt';

/** A preset/team failure the caller can act on (http/errors.ts maps its code to an HTTP status). */
export class PresetError extends Error {
  constructor(
    readonly code: PresetErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PresetError';
  }
}

/** Why a `--database` could not be opened: a URL that is no PostgreSQL URL, or a server that did not answer. */
export class DatabaseOpenError extends Error {
  constructor(
    readonly reason: 'bad_url' | 'unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseOpenError';
  }
}
