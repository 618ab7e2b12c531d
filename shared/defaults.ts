/** Defaults that figma-free, zod-free code (the plugin's main thread) needs too. */

/** β, the default style weight: tuned on real VGG-19 weights for a clearly stylised result that keeps the content. */
export const DEFAULT_STYLE_WEIGHT = 100;

/** The command a designer runs to install and start the companion (shown with a copy button). */
export const COMPANION_INSTALL_COMMAND = 'npm install -g atelier && atelier serve';
