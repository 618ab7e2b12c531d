/** scripts/build.mjs: one self-contained ui.html, a main.js without imports, and the team-server manifest option. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM build script without type declarations
import { buildPlugin, distManifest, inlineHtml, normalizeOrigin } from '../../scripts/build.mjs';
import { tempDir } from '../helpers/tempDir.js';
import { COMPANION_INSTALL_COMMAND, DEFAULT_COMPANION_URL, PACKAGE_NAME } from '../../shared/defaults.js';

const root = path.resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'plugin/manifest.json'), 'utf8'));

describe('the one command the plugin shows', () => {
  it('installs the package this repository publishes (a name free on the registry, not `atelier`), and the README shows it', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.name).toBe(PACKAGE_NAME);
    expect(PACKAGE_NAME).not.toBe('atelier'); // taken on the registry: `npm install -g atelier` answered 404 for this project
    expect(pkg.bin).toEqual({ atelier: 'bin/atelier.js' });
    expect(COMPANION_INSTALL_COMMAND).toBe(`npm install -g ${PACKAGE_NAME} && atelier serve`);
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(COMPANION_INSTALL_COMMAND);
  });
});

describe('plugin manifest', () => {
  it('is a dynamic-page Figma plugin allowed to reach the local companion, with a reasoning', () => {
    expect(manifest).toMatchObject({ api: '1.0.0', editorType: ['figma'], documentAccess: 'dynamic-page', main: 'dist/main.js', ui: 'dist/ui.html' });
    // localhost only: Figma's manifest check refuses IP literals ("must be a valid URL")
    expect(manifest.networkAccess.allowedDomains).toEqual([DEFAULT_COMPANION_URL]);
    // the reasoning is shown to designers by Figma: plain words, no commands, ports or build flags
    expect(manifest.networkAccess.reasoning).toMatch(/your own computer/);
    expect(manifest.networkAccess.reasoning).not.toMatch(/`|npm|--|localhost|port|companion/i);
  });

  it('takes the id Figma assigns for publishing (--plugin-id), and refuses anything else', () => {
    expect(distManifest(manifest, [], '1234567890123456789').id).toBe('1234567890123456789');
    expect(distManifest(manifest, []).id).toBe(manifest.id);
    expect(() => distManifest(manifest, [], 'atelier-dev')).toThrow(/not a Figma plugin id/);
  });
});

describe('build', () => {
  it('writes main.js, a self-contained ui.html and a manifest with the team server', async () => {
    const out = tempDir('atelier-build-');
    const files = await buildPlugin({ outDir: out, teamServers: ['https://gpu.example.com:8443/ignored/path'] });
    const html = readFileSync(files.ui, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+stylesheet/);
    expect(html).toContain('<style>');
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    const main = readFileSync(files.main, 'utf8');
    expect(main).not.toMatch(/\brequire\(|^import /m);
    expect(main.length).toBeLessThan(40_000);
    const m = JSON.parse(readFileSync(files.manifest, 'utf8'));
    expect(m).toMatchObject({ main: 'main.js', ui: 'ui.html' });
    expect(m.networkAccess.allowedDomains).toEqual(['http://localhost:7745', 'https://gpu.example.com:8443']);
    // the UI knows what the manifest allows, to refuse other URLs with a reason instead of "not running"
    expect(html).toContain('["http://localhost:7745","https://gpu.example.com:8443"]');
  });

  it('takes the team server from --team-server or ATELIER_TEAM_SERVER and refuses bad origins (exit 1, one line)', () => {
    const run = (args: string[], env: Record<string, string>) => {
      try {
        execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), ...args], { cwd: root, stdio: 'pipe', env: { ...process.env, ...env } });
        return { status: 0, stderr: '' };
      } catch (err) {
        const e = err as { status: number; stderr: Buffer };
        return { status: e.status, stderr: e.stderr.toString() };
      }
    };
    expect(run(['--team-server', 'ftp://x'], { ATELIER_TEAM_SERVER: '' })).toEqual({ status: 1, stderr: 'build failed: --team-server: "ftp://x" must be http:// or https://\n' });
    expect(run([], { ATELIER_TEAM_SERVER: 'nope' })).toMatchObject({ status: 1, stderr: expect.stringMatching(/"nope" is not a URL/) });
    expect(run(['--bogus'], {})).toMatchObject({ status: 1, stderr: expect.stringMatching(/unknown option --bogus/) });
  }, 60_000);

  it('normalises origins, de-duplicates and escapes inlined scripts', () => {
    expect(normalizeOrigin(' http://10.0.0.5:7745/ ')).toBe('http://10.0.0.5:7745');
    expect(() => normalizeOrigin('gpu.example.com')).toThrow(/not a URL/);
    expect(distManifest(manifest, ['http://localhost:7745']).networkAccess.allowedDomains).toHaveLength(1);
    const html = inlineHtml('<head><!-- ATELIER:CSS --></head><body><!-- ATELIER:JS --></body>', 'a{}', 'var s="</script><b>$&";');
    expect(html).toBe('<head><style>\na{}</style></head><body><script>\nvar s="<\\/script><b>$&";</script></body>');
  });
});
