/**
 * A real PostgreSQL (Debian's, 15 on bookworm) for a test file: initdb into its own temp dir, `postgres` on a free loopback
 * port with its unix socket in that dir, stopped by PID. PostgreSQL refuses to run as root, so as
 * root both run as the `postgres` user (spawn's uid/gid) in a dir chowned to it.
 * `postgresAvailability()` says why not when the binaries are absent; with ATELIER_REQUIRE_SERVICES=1
 * (CI) the suites fail instead of skipping.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** True when the environment demands the service suites run (they fail rather than skip). */
export const REQUIRE_SERVICES = process.env.ATELIER_REQUIRE_SERVICES === '1';

/** `$ATELIER_PG_BIN` when set (only it), else Debian's /usr/lib/postgresql/<major>/bin, newest first (15 on bookworm). */
const BIN_DIRS = process.env.ATELIER_PG_BIN ? [process.env.ATELIER_PG_BIN] : debianBinDirs();

function debianBinDirs(): string[] {
  try {
    return fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((x, y) => Number(y) - Number(x))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return ['/usr/lib/postgresql/15/bin'];
  }
}

function binDir(): string | null {
  return BIN_DIRS.find((d) => fs.existsSync(path.join(d, 'initdb')) && fs.existsSync(path.join(d, 'postgres'))) ?? null;
}

/** The user to run PostgreSQL as: ourselves, or `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Whether PostgreSQL can be started here, or why not. */
export function postgresAvailability(): { available: boolean; reason?: string } {
  if (!binDir()) return { available: false, reason: `no PostgreSQL binaries (initdb, postgres) in ${BIN_DIRS.join(', ')}: apt-get install postgresql` };
  try {
    runAs();
  } catch {
    return { available: false, reason: "running as root and there is no 'postgres' user to run PostgreSQL as" };
  }
  return { available: true };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A running server. */
export interface PostgresServer {
  /** URL of the `postgres` database as the superuser `postgres` (trust auth on loopback). */
  url: string;
  port: number;
  /** Creates an empty database and gives its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (SIGINT: fast shutdown, by PID) and removes its data dir. */
  stop(): Promise<void>;
}

/** Starts a fresh PostgreSQL; throws with the server's log when it does not come up in 60 s. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  if (!bin) throw new Error(postgresAvailability().reason);
  const user = runAs();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-pg-'));
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'sock');
  fs.mkdirSync(socketDir);
  if (user) for (const d of [root, socketDir]) fs.chownSync(d, user.uid, user.gid);
  const spawnOpts = { ...(user ?? {}), cwd: root, env: { ...process.env, HOME: root, LC_ALL: 'C' } };
  execFileSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { ...spawnOpts, stdio: 'pipe' });
  const port = await freePort();
  const log = path.join(root, 'server.log');
  const logFd = fs.openSync(log, 'a');
  if (user) fs.fchownSync(logFd, user.uid, user.gid);
  // fsync off: a test server's data need not survive power loss, and the machine is shared.
  const args = ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=60'];
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), args, { ...spawnOpts, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
    fs.rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (child.exitCode !== null || Date.now() > deadline) {
        const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
        await stop();
        throw new Error(`PostgreSQL did not start (${(err as Error).message}): ${text.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
