/** `atelier plugin path`: prints the manifest of the built Figma plugin, the file to import in Figma. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { pluginManifestPath } from '../packageRoot.js';
import { UsageError } from './usageError.js';

/** Adds the `plugin` verbs. */
export function configure(plugin: Command): void {
  plugin
    .command('path', { isDefault: true })
    .description('print the path of the plugin manifest to import in Figma (Plugins › Development › Import plugin from manifest…)')
    .action(() => {
      const manifest = pluginManifestPath();
      if (!existsSync(manifest)) throw new UsageError(`the plugin is not built (${manifest} is missing): run 'npm run build' in the Atelier clone`, 1);
      process.stdout.write(`${manifest}\n`);
    });
}
