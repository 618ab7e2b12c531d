/**
 * Child process for start-up tests: initialises one backend (argv[2], default wasm) the way
 * `atelier serve` and `stylize` do, prints `ok <device>` and releases it. Any failure is
 * printed on stderr with exit code 1, as the CLI does.
 */
import { initBackend, type BackendName } from '../../companion/src/engine/backend.js';

async function main(): Promise<void> {
  const backend = await initBackend((process.argv[2] ?? 'wasm') as BackendName);
  process.stdout.write(`ok ${backend.device}\n`);
  await backend.shutdown();
}

main().catch((err: unknown) => {
  process.stderr.write(`start failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
  // As bin/atelier.js does after a failure: an abandoned thread pool must not keep the process alive.
  setTimeout(() => process.exit(), 1000).unref();
});
