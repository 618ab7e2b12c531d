/** Cooperative cancellation: yielding to the event loop so an abort can arrive, and checking it. */
import { CancelledError } from './errors.js';

/** Resolves after pending I/O and timers had a chance to run (e.g. an HTTP DELETE that aborts). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** Throws CancelledError when the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Lets timers and I/O (e.g. an HTTP cancel) run, then throws CancelledError if the signal was aborted meanwhile. */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await yieldToEventLoop();
  throwIfAborted(signal);
}
