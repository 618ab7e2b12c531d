/** Defaults that figma-free, zod-free code (the plugin's main thread) needs too. */

/** β, the default style weight: tuned on real VGG-19 weights for a clearly stylised result that keeps the content. */
export const DEFAULT_STYLE_WEIGHT = 100;

/** Iterations of the final scale of a run (shared/schedule.ts gives the coarser scales more). */
export const DEFAULT_ITERATIONS = 50;

/** L-BFGS's memory: the curvature pairs kept (`historySize`). */
export const DEFAULT_HISTORY_SIZE = 10;

/** The companion's default port. */
export const DEFAULT_PORT = 7745;

/**
 * The local companion as the plugin reaches it. `localhost`, never an IP literal: Figma's
 * manifest check refuses IP literals in `networkAccess.allowedDomains`, and the UI may only reach
 * origins listed there (plugin/manifest.json lists exactly this one; a test checks it).
 */
export const DEFAULT_COMPANION_URL = `http://localhost:${DEFAULT_PORT}`;

/**
 * The npm package the companion is published as (package.json's name; `atelier` itself is taken
 * on the registry). Its command stays `atelier`.
 */
export const PACKAGE_NAME = 'atelier-style-transfer';

/**
 * The command a designer runs to install and start the companion (shown with a copy button). On a
 * first start `serve` downloads the style network itself, so this one command is the whole setup.
 */
export const COMPANION_INSTALL_COMMAND = `npm install -g ${PACKAGE_NAME} && atelier serve`;
