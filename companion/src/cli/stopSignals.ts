/**
 * SIGINT/SIGTERM handling from a command's first moment. Without a handler, a signal during
 * start-up kills the process outright (exit 143) and skips the 'exit' cleanups (the wasm backend's
 * temporary worker scripts). With it, a signal during start-up ends the process at once with
 * exit code 0 after those cleanups, and a signal once running resolves `signaled` for a graceful
 * stop; a second signal always exits at once.
 */

/** A watcher of stop signals. */
export interface StopSignals {
  /** Resolves with the first signal received (at any time since the watcher was made). */
  signaled: Promise<NodeJS.Signals>;
  /** Marks start-up as over: later signals resolve `signaled` instead of exiting. */
  started(): void;
}

/** Removes the handlers bin/atelier.js installed before any command code loaded (marked `atelierEarlyStop`). */
function removeEarlyStop(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(sig)) if ((l as { atelierEarlyStop?: boolean }).atelierEarlyStop) process.off(sig, l);
  }
}

/** Installs SIGINT/SIGTERM handlers now (replacing bin/atelier.js's early ones); `onStartupSignal` says goodbye before a start-up exit. */
export function watchStopSignals(onStartupSignal: (sig: NodeJS.Signals) => void): StopSignals {
  removeEarlyStop();
  let running = false;
  let resolveSignal!: (sig: NodeJS.Signals) => void;
  const signaled = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const onSignal = (sig: NodeJS.Signals): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
    if (!running) {
      onStartupSignal(sig);
      // process.exit runs the 'exit' handlers (temporary files) that a killed process skips.
      process.exit(0);
    }
    resolveSignal(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signaled,
    started: () => {
      running = true;
    },
  };
}
