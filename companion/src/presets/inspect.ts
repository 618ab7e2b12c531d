/** The image check the store runs on every style image: a full decode with io/images.ts. */
import { DEFAULT_MAX_PIXELS } from '../io/pixelLimit.js';
import type { ImageInspector } from './contract.js';

/**
 * An inspector that decodes the image (ImageError on empty, unsupported, damaged or > maxPixels
 * input); its MIME type is the format sharp read from the header. io/images.ts is loaded on first
 * use, so CLI commands that store no image stay fast.
 */
export function decodingInspector(maxPixels: number = DEFAULT_MAX_PIXELS): ImageInspector {
  return async (data) => {
    const { decodeImage, readImageHeader } = await import('../io/images.js');
    const { format } = await readImageHeader(data, { maxPixels });
    const img = await decodeImage(data, { maxPixels });
    return { width: img.width, height: img.height, contentType: `image/${format}` };
  };
}
