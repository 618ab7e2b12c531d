/**
 * `--data-dir DIR`: the one definition of the flag for every command that reads or writes the data
 * dir (serve, doctor, token, teams, presets). Where it points when absent is io/dataDir.ts's
 * resolveDataDir, which every command calls with the flag's value.
 */
import type { Command } from 'commander';
import { DATA_DIR_DEFAULT } from '../io/dataDir.js';

/** Adds `--data-dir DIR` to `cmd`; `purpose` says what the command keeps there. */
export function dataDirOption(cmd: Command, purpose = 'companion data dir'): Command {
  return cmd.option('--data-dir <dir>', `${purpose} (default ${DATA_DIR_DEFAULT})`);
}
