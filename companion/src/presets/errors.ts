/** Errors of the preset store, each with a stable `code` and the HTTP status it maps to. */

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

const STATUS: Record<PresetErrorCode, number> = {
  not_found: 404,
  name_taken: 409,
  stale_version: 412,
  precondition_required: 428,
  invalid_preset: 400,
  invalid_image: 400,
  team_exists: 409,
  team_not_found: 404,
  invalid_team: 400,
  invalid_bundle: 400,
  store_corrupt: 500,
};

/** A preset/team failure the caller can act on; `status` is the HTTP status it maps to. */
export class PresetError extends Error {
  readonly status: number;
  readonly statusCode: number;
  /** Safe to show to API clients (never contains another team's data). */
  readonly expose = true;

  constructor(
    readonly code: PresetErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PresetError';
    this.status = options?.status ?? STATUS[code];
    this.statusCode = this.status;
  }
}
