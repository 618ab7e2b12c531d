/** Errors the engine raises, with a stable code the CLI and HTTP layers map to exit codes / 4xx. */
export class EngineError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `unknown_layer`, `missing_layer`, `bad_input`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Thrown when a run is cancelled through its AbortSignal. */
export class CancelledError extends Error {
  readonly code = 'canceled';
  constructor(message = 'stylization was canceled') {
    super(message);
    this.name = 'CancelledError';
  }
}
