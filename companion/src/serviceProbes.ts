/**
 * Reachability and server version of a team server's services, for `atelier doctor --queue
 * redis://… --database postgres://…`: Redis through a minimal RESP exchange (AUTH when the URL has
 * credentials, then `INFO server`), PostgreSQL through `pg` (`SHOW server_version`). Each probe
 * answers within its timeout and never throws; URLs are reported without their password.
 */
import net from 'node:net';
import tls from 'node:tls';
import { redactUrl } from './redactUrl.js';

/** What a probe found. */
export interface ServiceCheck {
  /** The URL as given, its password replaced by `***`. */
  url: string;
  reachable: boolean;
  /** The server's version (e.g. '7.0.15', '15.8 (Debian 15.8-0+deb12u1)') when reachable. */
  version?: string;
  /** Why it is not reachable. */
  reason?: string;
}

/** Probes answer within this many milliseconds by default. */
export const PROBE_TIMEOUT_MS = 5000;

/** One RESP command as an array of bulk strings. */
function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Parses one RESP reply (simple string, error, integer or bulk string) from `buf`; null while incomplete. */
function parseReply(buf: Buffer): { value: string; error: boolean; size: number } | null {
  const eol = buf.indexOf('\r\n');
  if (eol < 0) return null;
  const head = buf.toString('utf8', 1, eol);
  switch (String.fromCharCode(buf[0])) {
    case '+':
    case ':':
      return { value: head, error: false, size: eol + 2 };
    case '-':
      return { value: head, error: true, size: eol + 2 };
    case '$': {
      const n = Number(head);
      if (n < 0) return { value: '', error: false, size: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return null;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + n), error: false, size: eol + 2 + n + 2 };
    }
    default:
      return { value: `unexpected reply '${head.slice(0, 40)}'`, error: true, size: buf.length };
  }
}

/** Redis at `url` (redis:// or rediss://): reachable, and its `redis_version`. */
export function probeRedis(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ServiceCheck> {
  const shown = redactUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({ url: shown, reachable: false, reason: 'not a URL' });
  }
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || 6379);
  const commands: string[] = [];
  if (u.password) commands.push(u.username ? command('AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password)) : command('AUTH', decodeURIComponent(u.password)));
  commands.push(command('INFO', 'server'));
  return new Promise((resolve) => {
    const socket = u.protocol === 'rediss:' ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let replies = 0;
    const done = (r: Omit<ServiceCheck, 'url'>): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ url: shown, ...r });
    };
    const timer = setTimeout(() => done({ reachable: false, reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write(commands.join('')));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let reply = parseReply(buf); reply; reply = parseReply(buf)) {
        buf = buf.subarray(reply.size);
        if (reply.error) return done({ reachable: false, reason: `Redis answered: ${reply.value}` });
        if (++replies === commands.length) {
          const version = /^redis_version:(.+)$/m.exec(reply.value)?.[1]?.trim();
          return done(version ? { reachable: true, version } : { reachable: false, reason: 'the server did not report a redis_version (is it Redis?)' });
        }
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done({ reachable: false, reason: err.code ? `${err.code} ${host}:${port}` : err.message }));
    socket.once('close', () => done({ reachable: false, reason: 'the server closed the connection' }));
  });
}

/** PostgreSQL at `url` (postgres:// or postgresql://): reachable (connected and authenticated), and its `server_version`. */
export async function probePostgres(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ServiceCheck> {
  const shown = redactUrl(url);
  // Loaded only when a database is checked: doctor's other checks (and its per-backend child processes) skip it.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A server that drops the connection later must not crash doctor.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return { url: shown, reachable: true, version: rows[0]?.server_version };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { url: shown, reachable: false, reason: e.message.split('\n')[0] || e.code || 'the connection failed' };
  } finally {
    await client.end().catch(() => undefined);
  }
}
