/**
 * The largest image Atelier decodes by default: 64 megapixels, checked from the header before
 * decoding. A module of its own (no imports) so that the HTTP limits and the presets store can use
 * it without loading sharp.
 */
export const DEFAULT_MAX_PIXELS = 64e6;
