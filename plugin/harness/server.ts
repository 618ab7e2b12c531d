/**
 * `npm run plugin:harness`: builds the plugin (scripts/build.mjs) and serves the harness page, which
 * runs the built plugin against the in-page fake Figma API. Binds 127.0.0.1.
 *
 *   npm run plugin:harness -- [--port 7746] [--no-build]
 * then open http://127.0.0.1:7746/ (add ?token=… to preset the pairing token, ?theme=dark for Figma's
 * dark theme, ?url=… for another companion — which must be in the build's networkAccess).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
// @ts-expect-error -- plain ESM build script without type declarations
import { buildPlugin } from '../../scripts/build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

/** A running harness server. */
export interface HarnessServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Builds the plugin into `outDir` (default plugin/dist; unless `build: false`), bundles the harness page and serves both. */
export async function startHarnessServer(opts: { port?: number; host?: string; build?: boolean; teamServers?: string[]; outDir?: string } = {}): Promise<HarnessServer> {
  // its own output directory lets several harnesses (test files running in parallel) build different allow-lists
  const distDir = opts.outDir ?? path.join(repoRoot, 'plugin/dist');
  if (opts.build !== false) await buildPlugin({ teamServers: opts.teamServers ?? [], outDir: distDir });
  const bundle = await build({ entryPoints: [path.join(here, 'harnessPage.ts')], bundle: true, write: false, format: 'iife', target: 'es2022', logLevel: 'silent' });
  const harnessJs = bundle.outputFiles[0].text;
  const routes: Record<string, () => Promise<[string, string | Buffer]>> = {
    '/': async () => ['text/html; charset=utf-8', await readFile(path.join(here, 'harness.html'))],
    '/harness.js': async () => ['text/javascript; charset=utf-8', harnessJs],
    '/dist/main.js': async () => ['text/javascript; charset=utf-8', await readFile(path.join(distDir, 'main.js'))],
    '/dist/ui.html': async () => ['text/html; charset=utf-8', await readFile(path.join(distDir, 'ui.html'))],
    // the built manifest: its networkAccess becomes the UI iframe's CSP, as in Figma
    '/dist/manifest.json': async () => ['application/json; charset=utf-8', await readFile(path.join(distDir, 'manifest.json'))],
  };
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (!route || req.method !== 'GET') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    route().then(
      ([type, body]) => res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err)),
    );
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portArg = args.indexOf('--port');
  const port = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.ATELIER_HARNESS_PORT ?? 7746);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('--port: expected 0..65535');
    process.exit(2);
  }
  startHarnessServer({ port, build: !args.includes('--no-build') }).then(
    (h) => console.log(`Atelier plugin harness on ${h.url}  (start a companion with \`npx atelier serve\`; add ?token=… to the URL to preset the pairing token)`),
    (err: unknown) => {
      console.error(`harness failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
