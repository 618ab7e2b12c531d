/**
 * A real redis-server for a test file: Debian's binary on a free 127.0.0.1 port with its own temp
 * dir (append-only file on, as a farm should run it), stopped by PID. Suites skip with a printed
 * reason when the binary is absent, unless ATELIER_REQUIRE_SERVICES=1 (.ci/run sets it), where
 * `requireRedis` registers a failing test instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { describe, it } from 'vitest';
import { tempDir } from './tempDir.js';

export const REDIS_SERVER = process.env.ATELIER_REDIS_SERVER ?? '/usr/bin/redis-server';

/** Why Redis suites cannot run here, or '' when they can. */
export function redisMissingReason(): string {
  return existsSync(REDIS_SERVER) ? '' : `${REDIS_SERVER} not found (apt-get install redis-server)`;
}

/** Prints why a suite skips; registers a failing test when services are required. */
export function requireRedis(suite: string): boolean {
  const reason = redisMissingReason();
  if (!reason) return true;
  console.log(`${suite} skipped: ${reason}`);
  describe.runIf(process.env.ATELIER_REQUIRE_SERVICES === '1')(`${suite} (required)`, () => {
    it('finds redis-server', () => {
      throw new Error(`ATELIER_REQUIRE_SERVICES=1 but ${reason}`);
    });
  });
  return false;
}

/** A free loopback TCP port (closed again before use; the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A running redis-server. */
export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** Stops it (SIGTERM by PID, then SIGKILL) and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port; resolves once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = tempDir('atelier-redis-');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = await waitForPort(port, child, 10_000);
    if (!ready) {
      child.kill('SIGKILL');
      await exited;
      if (attempt < 2) continue;
      throw new Error(`redis-server did not start: ${log}`);
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        process.kill(child.pid!, 'SIGTERM');
        const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      },
    };
  }
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return resolve(false);
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.write('PING\r\n');
        s.once('data', (d) => {
          s.destroy();
          if (d.toString().startsWith('+PONG')) resolve(true);
          else setTimeout(attempt, 50);
        });
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() - t0 > timeoutMs) resolve(false);
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}
