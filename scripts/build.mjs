#!/usr/bin/env node
/**
 * `npm run build`: builds the Figma plugin (below) and the compiled `atelier` command (build-cli.mjs).
 *
 * Builds the Figma plugin into plugin/dist/:
 *   main.js      the main-thread bundle (plugin/src/main.ts)
 *   ui.html      the UI with its JS and CSS INLINED (the plugin iframe cannot load relative assets)
 *   manifest.json  a copy of plugin/manifest.json whose paths point at these files, plus any team
 *                  server origin in networkAccess.allowedDomains
 *
 * Usage: node scripts/build.mjs [--team-server ORIGIN]... [--plugin-id ID] [--no-minify]
 * (or env ATELIER_TEAM_SERVER=ORIGIN[,ORIGIN], ATELIER_FIGMA_PLUGIN_ID=ID). `--plugin-id` is the id
 * Figma assigns when the plugin is created for publishing (plugin/manifest.json carries a
 * development id, which Figma accepts for "Import plugin from manifest" only). Import plugin/manifest.json in Figma for the local
 * companion, or plugin/dist/manifest.json when a team server was added.
 */
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli } from './build-cli.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pluginDir = path.join(root, 'plugin');

/** Parses and normalises a team-server origin (`https://gpu.example.com[:port]`). Throws on anything else. */
export function normalizeOrigin(text) {
  let u;
  try {
    u = new URL(text.trim());
  } catch {
    throw new Error(`--team-server: "${text}" is not a URL (expected e.g. https://atelier.example.com:7745)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--team-server: "${text}" must be http:// or https://`);
  return u.origin;
}

/** Checks a Figma-assigned plugin id (digits, as Figma issues them). Throws on anything else. */
export function checkPluginId(id) {
  if (!/^\d{6,25}$/.test(String(id))) throw new Error(`--plugin-id: "${id}" is not a Figma plugin id (the digits Figma shows when the plugin is created)`);
  return String(id);
}

/** The manifest written to dist/: paths relative to dist, team origins added to allowedDomains, the published id when given. */
export function distManifest(manifest, teamServers, pluginId = null) {
  const allowed = [...manifest.networkAccess.allowedDomains];
  for (const origin of teamServers) if (!allowed.includes(origin)) allowed.push(origin);
  const id = pluginId === null ? manifest.id : checkPluginId(pluginId);
  return { ...manifest, id, main: 'main.js', ui: 'ui.html', networkAccess: { ...manifest.networkAccess, allowedDomains: allowed } };
}

/** Inlines CSS and JS into the HTML template (escaping `</script` inside the JS). */
export function inlineHtml(template, css, js) {
  const safeJs = js.replace(/<\/script/gi, '<\\/script');
  const safeCss = css.replace(/<\/style/gi, '<\\/style');
  if (!template.includes('<!-- ATELIER:CSS -->') || !template.includes('<!-- ATELIER:JS -->')) throw new Error('ui/index.html lacks the ATELIER:CSS / ATELIER:JS markers');
  return template.replace('<!-- ATELIER:CSS -->', () => `<style>\n${safeCss}</style>`).replace('<!-- ATELIER:JS -->', () => `<script>\n${safeJs}</script>`);
}

/** Builds the plugin; returns the paths written. */
export async function buildPlugin({ teamServers = [], pluginId = null, minify = true, outDir = path.join(pluginDir, 'dist') } = {}) {
  const origins = teamServers.map(normalizeOrigin);
  await mkdir(outDir, { recursive: true });
  const common = { bundle: true, write: false, minify, legalComments: 'none', logLevel: 'silent', target: 'es2020', charset: 'utf8' };
  const manifest = distManifest(JSON.parse(await readFile(path.join(pluginDir, 'manifest.json'), 'utf8')), origins, pluginId);
  // the UI checks a companion URL against the origins Figma will let it reach (CSP connect-src)
  const define = { __ATELIER_ALLOWED_DOMAINS__: JSON.stringify(manifest.networkAccess.allowedDomains) };
  const [main, uiJs, uiCss] = await Promise.all([
    build({ ...common, entryPoints: [path.join(pluginDir, 'src/main.ts')], format: 'iife', platform: 'neutral', mainFields: ['module', 'main'] }),
    build({ ...common, entryPoints: [path.join(pluginDir, 'src/ui/ui.ts')], format: 'iife', platform: 'browser', define }),
    build({ ...common, entryPoints: [path.join(pluginDir, 'src/ui/styles.css')], loader: { '.css': 'css' } }),
  ]);
  const template = await readFile(path.join(pluginDir, 'src/ui/index.html'), 'utf8');
  const html = inlineHtml(template, uiCss.outputFiles[0].text, uiJs.outputFiles[0].text);
  const files = {
    main: path.join(outDir, 'main.js'),
    ui: path.join(outDir, 'ui.html'),
    manifest: path.join(outDir, 'manifest.json'),
  };
  await writeFile(files.main, main.outputFiles[0].text);
  await writeFile(files.ui, html);
  await writeFile(files.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}

function parseArgs(argv) {
  const teamServers = (process.env.ATELIER_TEAM_SERVER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  let minify = true;
  let pluginId = process.env.ATELIER_FIGMA_PLUGIN_ID || null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--team-server') {
      if (!argv[i + 1]) throw new Error('--team-server needs an origin, e.g. --team-server https://gpu.example.com');
      teamServers.push(argv[++i]);
    } else if (a.startsWith('--team-server=')) teamServers.push(a.slice('--team-server='.length));
    else if (a === '--plugin-id') pluginId = checkPluginId(argv[++i] ?? '');
    else if (a === '--no-minify') minify = false;
    else throw new Error(`unknown option ${a} (expected --team-server ORIGIN, --plugin-id ID, --no-minify)`);
  }
  return { teamServers, pluginId, minify };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const started = performance.now();
    const args = parseArgs(process.argv.slice(2));
    const [files, cli] = await Promise.all([buildPlugin(args), buildCli({ minify: args.minify })]);
    const rel = (p) => path.relative(process.cwd(), p);
    console.log(`built ${rel(files.main)}, ${rel(files.ui)}, ${rel(files.manifest)}, ${rel(cli)} in ${Math.round(performance.now() - started)} ms`);
  } catch (err) {
    console.error(`build failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
