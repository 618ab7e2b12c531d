/**
 * onnxruntime-node with what it hands out counted: every session opened must be released, and
 * every tensor a run leaves in device memory (`gpu-buffer`) must be disposed; `onRun.hook` is
 * called as each run starts (to abort at a chosen point of an evaluation).
 */
import type { OrtModule, OrtSession, OrtTensor } from '../../companion/src/engine/evaluate/onnx/ortContext.js';

export interface CountingOrt {
  ort: OrtModule;
  /** Sessions created and not released. */
  open(): number;
  /** gpu-buffer outputs not disposed. */
  onDevice(): number;
  /** Called as every run starts. */
  onRun: { hook?: () => void };
}

export function countingOrt(ort: OrtModule): CountingOrt {
  let open = 0;
  let onDevice = 0;
  const onRun: CountingOrt['onRun'] = {};
  const countDevice = (t: OrtTensor) => {
    if (t.location !== 'gpu-buffer') return;
    onDevice++;
    const dispose = t.dispose.bind(t);
    let disposed = false;
    t.dispose = () => {
      if (!disposed) onDevice--;
      disposed = true;
      dispose();
    };
  };
  const create = (async (...args: Parameters<OrtModule['InferenceSession']['create']>) => {
    const session = await (ort.InferenceSession.create as (...a: unknown[]) => Promise<OrtSession>)(...args);
    open++;
    const release = session.release.bind(session);
    session.release = async () => {
      open--;
      return release();
    };
    const run = session.run.bind(session) as (...a: unknown[]) => Promise<Record<string, OrtTensor>>;
    session.run = (async (...a: unknown[]) => {
      onRun.hook?.();
      const out = await run(...a);
      Object.values(out).forEach(countDevice);
      return out;
    }) as OrtSession['run'];
    return session;
  }) as OrtModule['InferenceSession']['create'];
  return {
    ort: { ...ort, InferenceSession: { ...ort.InferenceSession, create } as OrtModule['InferenceSession'] },
    open: () => open,
    onDevice: () => onDevice,
    onRun,
  };
}
