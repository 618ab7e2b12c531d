/**
 * Figma lets the plugin UI reach only the origins in the built manifest's
 * `networkAccess.allowedDomains` (enforced as the iframe's CSP `connect-src`): a request anywhere
 * else fails exactly like a companion that is not running. So a URL is checked against the
 * allow-list first, and the designer is told why it is refused and how to allow it.
 */

/** Whether `url`'s origin matches one `allowedDomains` entry (`http://host:port`, `host`, `*.host`, `host/path`). */
function matches(url: URL, entry: string): boolean {
  const e = entry.trim();
  if (e === '*') return true;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(e);
  let host: string;
  try {
    const u = new URL(withScheme ? e : `${url.protocol}//${e.replace(/^\*\./, 'wildcard.')}`);
    if (withScheme && u.protocol !== url.protocol) return false;
    if (u.port !== url.port) return false;
    host = u.hostname;
  } catch {
    return false;
  }
  if (/^(\*\.|[a-z][a-z0-9+.-]*:\/\/\*\.)/i.test(e)) return url.hostname.endsWith(host.replace(/^wildcard\./, '.').replace(/^\*\./, '.'));
  return url.hostname === host;
}

/** `null` when the manifest lets the UI reach `url`, otherwise the sentence saying why not and what to do. */
export function refusedOriginReason(url: string, allowedDomains: readonly string[]): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `“${url}” is not a URL`;
  }
  if (allowedDomains.some((d) => matches(u, d))) return null;
  const allowed = allowedDomains.join(', ') || 'none';
  if (/^(127\.0\.0\.1|\[::1\])$/.test(u.hostname)) return `Figma blocks ${u.origin}: use http://localhost${u.port ? `:${u.port}` : ''} instead (this build may only reach ${allowed})`;
  return `Figma blocks ${u.origin}: this build of the plugin may only reach ${allowed}. For a team server, rebuild with \`npm run build -- --team-server ${u.origin}\` and import plugin/dist/manifest.json`;
}
