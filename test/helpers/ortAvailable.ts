/**
 * onnxruntime-node for the onnx suites: loaded when it can be, with the reason when not. Suites
 * skip without it, unless ATELIER_REQUIRE_ONNX=1 (.ci/run sets it), where `requireOrt` fails.
 */
import { describe, it } from 'vitest';
import type { OrtModule } from '../../companion/src/engine/evaluate/onnx/ortContext.js';
import { importOrt } from '../../companion/src/engine/runtime/backends/onnx.js';

export interface OrtAvailability {
  ort: OrtModule | undefined;
  reason: string;
}

/** Imports onnxruntime-node as the onnx backend does, or says why it cannot. */
export async function loadOrt(suite: string): Promise<OrtAvailability> {
  try {
    return { ort: await importOrt(), reason: '' };
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    console.log(`${suite} skipped: ${reason}`);
    return { ort: undefined, reason };
  }
}

/** Registers a failing test when onnxruntime-node is missing but ATELIER_REQUIRE_ONNX=1. */
export function requireOrt(suite: string, { ort, reason }: OrtAvailability): void {
  describe.runIf(!ort && process.env.ATELIER_REQUIRE_ONNX === '1')(`${suite} (required)`, () => {
    it('loads onnxruntime-node', () => {
      throw new Error(`ATELIER_REQUIRE_ONNX=1 but onnxruntime-node cannot load: ${reason}`);
    });
  });
}
