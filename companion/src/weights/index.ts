/** VGG-19 weights: load (Keras .h5, TF.js layers), install (download/copy + verify), status. */
export { WeightsError, WeightsMissingError, INSTALL_COMMAND, type WeightsErrorCode } from './errors.js';
export { loadWeights, inspectWeights, detectWeightsFormat, disposeWeights, rawLayersToWeights, type LoadedWeights, type InspectedWeights, type WeightsFormat } from './load.js';
export { describeLayers, validateRawLayers, type RawLayer } from './validate.js';
export { readKerasH5 } from './h5.js';
export { readTfjsLayers } from './tfjsLayers.js';
export { installWeights, isUrl, partPathFor, OFFICIAL_WEIGHTS_URL, OFFICIAL_WEIGHTS_MD5, type InstallOptions, type InstallResult } from './install.js';
export { weightsStatus, resolveInstalledWeights, type WeightsStatus } from './status.js';
export { downloadWithResume, hashFiles } from './download.js';
