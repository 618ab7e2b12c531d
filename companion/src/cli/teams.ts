/** `atelier teams create|list|revoke`: the teams of a team server and their tokens (shown once). */
import type { Command } from 'commander';
import { databaseOption } from './databaseOption.js';
import { dataDirOption } from './dataDirOption.js';
import { withStore, type StoreFlags } from './presetsStore.js';

/** `--data-dir` and `--database` on a `teams` verb. */
const storeOptions = (cmd: Command): Command => databaseOption(dataDirOption(cmd));

/** Adds `atelier teams …` verbs. */
export function configure(teams: Command): void {
  storeOptions(teams.command('create <name>').description('create a team and print its token (shown only this once)')).action(
    async (name: string, opts: StoreFlags) => {
      await withStore(opts, async (store) => {
        const { team, token } = await store.teams.create(name);
        process.stderr.write(`created team '${team.name}'. Its token, shown only now (only a hash is kept):\n`);
        process.stdout.write(`${token}\n`);
      });
    },
  );

  storeOptions(teams.command('list').description('list teams (never their tokens)').option('--json', 'print JSON')).action(
    async (opts: StoreFlags & { json?: boolean }) => {
      await withStore(opts, async (store) => {
        const list = [];
        for (const t of await store.teams.list()) list.push({ ...t, presets: (await store.list(t.id)).length });
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

  storeOptions(teams.command('revoke <name>').description("revoke a team's token at once (its presets are kept)")).action(
    async (name: string, opts: StoreFlags) => {
      await withStore(opts, async (store) => {
        const team = await store.teams.revoke(name);
        process.stderr.write(`revoked team '${team.name}': its token no longer works\n`);
      });
    },
  );
}
