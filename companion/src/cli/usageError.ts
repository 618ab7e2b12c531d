/** Errors the user caused, and the exit code for them; imported by every verb (kept out of cli.ts so verbs need not import the dispatcher). */

/** Exit code for bad input (missing file, not an image, unknown layer, bad number). */
export const EXIT_BAD_INPUT = 2;

/** An error the user caused; printed as one line, exit code 2 unless given. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_BAD_INPUT,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
