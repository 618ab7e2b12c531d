/** `atelier token [show|rotate]`: prints or replaces the pairing token the plugin uses. */
import type { Command } from 'commander';
import { defaultDataDir, loadOrCreateToken, rotateToken, tokenPath } from '../token.js';

/** Adds the `token` verbs. */
export function configure(token: Command): void {
  token.option('--data-dir <dir>', 'data dir (default $ATELIER_HOME or ~/.atelier)');
  token
    .command('show', { isDefault: true })
    .description('print the pairing token (creating it on first use)')
    .action(async () => {
      const { token: t } = await loadOrCreateToken(token.opts<{ dataDir?: string }>().dataDir ?? defaultDataDir());
      process.stdout.write(`${t}\n`);
    });
  token
    .command('rotate')
    .description('replace the pairing token; the old one stops working (a running server picks it up)')
    .action(async () => {
      const dir = token.opts<{ dataDir?: string }>().dataDir ?? defaultDataDir();
      const t = await rotateToken(dir);
      process.stdout.write(`${t}\n`);
      process.stderr.write(`new pairing token stored in ${tokenPath(dir)}; paste it into the plugin\n`);
    });
}
