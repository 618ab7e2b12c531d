/**
 * `--backend auto`'s order as pure functions of what is cheap to know before anything starts (are
 * the CUDA provider's libraries there; which WebGPU adapter does Dawn offer), so that the choice
 * can be tested for GPU machines on a machine without one, and so that `atelier doctor` lists the
 * backends in the order auto tries them and names the one it would choose. Why this order:
 * backend.ts's header.
 */
import { CONCRETE_BACKENDS, type ConcreteBackend } from './backendNames.js';

/** What auto knows before starting anything. */
export interface AutoFacts {
  /** Why onnx-cuda cannot start (what is missing, and the fix), or null when everything it loads is present. */
  cudaMissing: string | null;
  /** Dawn's high-performance WebGPU adapter, or why there is none. */
  adapter: { device: string; software: boolean } | { reason: string };
}

/** One backend in auto's order. */
export interface AutoStep {
  name: ConcreteBackend;
  /** Why it cannot start here, known without trying: auto passes over it. */
  unavailable?: string;
  /** Why it comes after the CPU backends (a WebGPU backend on a software adapter). */
  after?: string;
}

/** Why a backend was not used. */
export interface Skip {
  name: ConcreteBackend;
  reason: string;
}

/** The backends that run on a WebGPU adapter: GPU tiers on hardware, last resorts on a software adapter. */
const ON_WEBGPU: ReadonlySet<ConcreteBackend> = new Set(['onnx-webgpu', 'webgpu']);

/**
 * Every concrete backend once, in the order auto tries them for these facts: CONCRETE_BACKENDS'
 * order, except that the WebGPU backends move to just before cpu on a software adapter (lavapipe,
 * SwiftShader: an emulated GPU on the same CPU that onnx and wasm use directly).
 */
export function autoOrder(facts: AutoFacts): AutoStep[] {
  const adapter = 'reason' in facts.adapter ? null : facts.adapter;
  const steps = CONCRETE_BACKENDS.map((name): AutoStep => {
    if (name === 'onnx-cuda' && facts.cudaMissing) return { name, unavailable: facts.cudaMissing };
    if (!ON_WEBGPU.has(name)) return { name };
    if (!adapter) return { name, unavailable: (facts.adapter as { reason: string }).reason };
    return adapter.software ? { name, after: `software adapter (${adapter.device}), slower than the CPU backends` } : { name };
  });
  const late = steps.filter((s) => s.after);
  const cpu = steps.filter((s) => s.name === 'cpu');
  return [...steps.filter((s) => !s.after && s.name !== 'cpu'), ...late, ...cpu];
}

/**
 * Tries the steps in order with `start` (which throws an Error whose message is the reason when a
 * backend cannot start); resolves to the first that starts and why each other one was not used, in
 * auto's order. Rejects with every reason when none starts.
 */
export async function firstThatStarts<T>(
  steps: readonly AutoStep[],
  start: (name: ConcreteBackend) => Promise<T>,
): Promise<{ name: ConcreteBackend; started: T; skipped: Skip[] }> {
  const skipped: Skip[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (step.unavailable) {
      skipped.push({ name: step.name, reason: step.unavailable });
      continue;
    }
    try {
      const started = await start(step.name);
      const rest = steps.slice(i + 1).map((s) => ({ name: s.name, reason: s.unavailable ?? `not tried: ${step.name} comes first${s.after ? ` (${s.after})` : ''}` }));
      return { name: step.name, started, skipped: [...skipped, ...rest] };
    } catch (err) {
      skipped.push({ name: step.name, reason: firstLine(err) });
    }
  }
  throw new Error(`no backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The first line of an error's message: the reason a backend gives. */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] || 'failed to initialise';
}
