/** `atelier token [show|rotate]`: prints or replaces the pairing token the plugin uses. */
import type { Command } from 'commander';
import { resolveDataDir } from '../io/dataDir.js';
import { loadOrCreateToken, rotateToken, tokenPath } from '../token.js';
import { dataDirOption } from './dataDirOption.js';

/** Adds the `token` verbs. */
export function configure(token: Command): void {
  dataDirOption(token, 'data dir of the token');
  token
    .command('show', { isDefault: true })
    .description('print the pairing token (creating it on first use)')
    .action(async () => {
      const { token: t } = await loadOrCreateToken(resolveDataDir(token.opts<{ dataDir?: string }>().dataDir));
      process.stdout.write(`${t}\n`);
    });
  token
    .command('rotate')
    .description('replace the pairing token; the old one stops working (a running server picks it up)')
    .action(async () => {
      const dir = resolveDataDir(token.opts<{ dataDir?: string }>().dataDir);
      const t = await rotateToken(dir);
      process.stdout.write(`${t}\n`);
      process.stderr.write(`new pairing token stored in ${tokenPath(dir)}; paste it into the plugin\n`);
    });
}
