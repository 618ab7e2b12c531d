/**
 * `atelier presets list|show|export|import`: the team presets of this companion's data dir, and
 * bundles (one JSON file with the images, see presets/bundle.ts) to share them between companions.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './usageError.js';
import { exportBundle, importBundle, parseBundle, serializeBundle } from '../presets/bundle.js';
import type { PresetsStore } from '../presets/contract.js';
import type { Preset } from '../../../shared/presets.js';
import { dataDirOption } from './dataDirOption.js';
import { databaseOption } from './databaseOption.js';
import { teamIdOf, withStore } from './presetsStore.js';

interface CommonOpts {
  dataDir?: string;
  database?: string;
  team?: string;
  json?: boolean;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The team's preset with this id, or else this name. */
async function find(store: PresetsStore, teamId: string, idOrName: string): Promise<Preset> {
  const p = (await store.get(teamId, idOrName)) ?? (await store.getByName(teamId, idOrName));
  if (!p) throw new UsageError(`no preset '${idOrName}' (see 'atelier presets list')`);
  return p;
}

/** Writes a file atomically (temp file, fsync, rename). */
function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function describe(p: Preset): string {
  const styles = p.styles.map((s) => `${s.width}x${s.height} ${s.contentType} ×${s.weight}`).join(', ');
  return [
    `${p.name}  (id ${p.id}, version ${p.version}, updated ${p.updatedAt})`,
    `  styles: ${styles}`,
    `  params: ${JSON.stringify(p.params)}`,
  ].join('\n');
}

/** Adds `atelier presets …` verbs. */
export function configure(presets: Command): void {
  const common = (cmd: Command): Command =>
    databaseOption(dataDirOption(cmd)).option('--team <name>', "team whose presets to use (default: the local team)");

  common(presets.command('list').description('list the presets').option('--json', 'print JSON')).action(
    async (opts: CommonOpts) => {
      await withStore(opts, async (store) => {
        const list = await store.list(await teamIdOf(store, opts.team));
        if (opts.json) return out(JSON.stringify({ presets: list }, null, 2));
        if (list.length === 0) return out('no presets');
        for (const p of list) out(`${p.id}  ${p.name}  v${p.version}  ${p.styles.length} style(s)  ${p.updatedAt}`);
      });
    },
  );

  common(presets.command('show <id>').description('show one preset (by id or name)').option('--json', 'print JSON')).action(
    async (id: string, opts: CommonOpts) => {
      await withStore(opts, async (store) => {
        const p = await find(store, await teamIdOf(store, opts.team), id);
        out(opts.json ? JSON.stringify(p, null, 2) : describe(p));
      });
    },
  );

  common(
    presets
      .command('export [ids...]')
      .description('export presets (by id or name, or --all) as one JSON bundle with their images')
      .option('--all', 'export every preset of the team')
      .option('--out <file>', 'write the bundle to this file (default: stdout)'),
  ).action(async (ids: string[], opts: CommonOpts & { all?: boolean; out?: string }) => {
    if (ids.length === 0 && !opts.all) throw new UsageError('presets export: name preset ids, or use --all');
    if (ids.length > 0 && opts.all) throw new UsageError('presets export: give preset ids or --all, not both');
    await withStore(opts, async (store) => {
      const teamId = await teamIdOf(store, opts.team);
      const chosen = opts.all ? undefined : await Promise.all(ids.map(async (id) => (await find(store, teamId, id)).id));
      const bundle = await exportBundle(store, teamId, chosen);
      const text = serializeBundle(bundle);
      if (opts.out) {
        writeFileAtomic(opts.out, text);
        process.stderr.write(`exported ${bundle.presets.length} preset(s) to ${opts.out}\n`);
      } else {
        process.stdout.write(text);
      }
    });
  });

  common(
    presets
      .command('import <file>')
      .description('import a bundle; presets already there with equal content are left alone')
      .option('--overwrite', 'replace presets of the same name whose content differs (default: skip them)')
      .option('--json', 'print the report as JSON'),
  ).action(async (file: string, opts: CommonOpts & { overwrite?: boolean }) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
    await withStore(opts, async (store) => {
      const bundle = parseBundle(text);
      const report = await importBundle(store, await teamIdOf(store, opts.team), bundle, { overwrite: opts.overwrite });
      if (opts.json) out(JSON.stringify(report));
      else {
        out(
          `created ${report.created.length}, unchanged ${report.unchanged.length}, replaced ${report.replaced.length}, conflicts ${report.conflicts.length}`,
        );
        for (const name of report.conflicts) out(`  conflict: '${name}' exists with other settings or images (skipped; --overwrite replaces it)`);
      }
      if (report.conflicts.length > 0) process.exitCode = 1;
    });
  });
}
