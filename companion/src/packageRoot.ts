/** Where Atelier's own files are: the folder of its package.json, found from source (companion/src/) or the compiled CLI (dist/cli/chunks/). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_NAME } from '../../shared/defaults.js';

/** The package root: the nearest folder above this module whose package.json has our package name (PACKAGE_NAME). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find Atelier's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The built Figma plugin's manifest (plugin/dist/manifest.json, written by `npm run build`; shipped in the package). */
export function pluginManifestPath(): string {
  return path.join(packageRoot(), 'plugin', 'dist', 'manifest.json');
}

/**
 * How the user runs Atelier here, for the commands messages tell them to run: `npx atelier` in a
 * clone (sources present, no global bin), `atelier` from an installed package (or a bundle).
 */
export function atelierCommand(): string {
  try {
    return existsSync(path.join(packageRoot(), 'companion', 'src', 'cli.ts')) ? 'npx atelier' : 'atelier';
  } catch {
    return 'atelier';
  }
}
