/** `atelier teams create|list|revoke`: the teams of a team server and their tokens (shown once). */
import type { Command } from 'commander';
import { dataDirOption } from './dataDirOption.js';
import { withStore } from './presetsStore.js';

/** Adds `atelier teams …` verbs. */
export function configure(teams: Command): void {

  dataDirOption(teams.command('create <name>').description('create a team and print its token (shown only this once)')).action(
    async (name: string, opts: { dataDir?: string }) => {
      await withStore(opts.dataDir, (store) => {
        const { team, token } = store.teams.create(name);
        process.stderr.write(`created team '${team.name}'. Its token, shown only now (only a hash is kept):\n`);
        process.stdout.write(`${token}\n`);
      });
    },
  );

  dataDirOption(teams.command('list').description('list teams (never their tokens)').option('--json', 'print JSON')).action(
    async (opts: { dataDir?: string; json?: boolean }) => {
      await withStore(opts.dataDir, (store) => {
        const list = store.teams.list().map((t) => ({ ...t, presets: store.list(t.id).length }));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ teams: list }, null, 2)}\n`);
          return;
        }
        for (const t of list) {
          const state = t.revokedAt ? `revoked ${t.revokedAt}` : t.isDefault ? 'pairing token' : 'active';
          process.stdout.write(`${t.name}  ${state}  ${t.presets} preset(s)  created ${t.createdAt}\n`);
        }
      });
    },
  );

  dataDirOption(teams.command('revoke <name>').description("revoke a team's token at once (its presets are kept)")).action(
    async (name: string, opts: { dataDir?: string }) => {
      await withStore(opts.dataDir, (store) => {
        const team = store.teams.revoke(name);
        process.stderr.write(`revoked team '${team.name}': its token no longer works\n`);
      });
    },
  );
}
