/** Errors of weights loading and installation, with stable codes (they are EngineErrors for the CLI/HTTP mappers). */
import { EngineError } from '../engine/contract.js';
import { atelierCommand } from '../packageRoot.js';

/** Stable codes of `WeightsError`. */
export type WeightsErrorCode = 'bad_weights' | 'weights_not_found' | 'weights_missing' | 'download_failed' | 'checksum_mismatch';

/** A weights file or directory that cannot be used, or an install that failed. */
export class WeightsError extends EngineError {
  constructor(
    override readonly code: WeightsErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'WeightsError';
  }
}

/** The exact command that installs the weights (`npx atelier …` in a clone, `atelier …` when installed). */
export const INSTALL_COMMAND = `${atelierCommand()} weights install`;

/** No weights are installed (or `--weights PATH` does not exist); the message is one line saying what to run. */
export class WeightsMissingError extends WeightsError {
  constructor(message = `VGG-19 weights are not installed: run \`${INSTALL_COMMAND}\` (or pass --weights PATH to a Keras .h5 file or TF.js model directory)`) {
    super('weights_missing', message);
    this.name = 'WeightsMissingError';
  }
}
