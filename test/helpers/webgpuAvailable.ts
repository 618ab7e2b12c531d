/**
 * Whether this machine can run the webgpu backend (a WebGPU adapter through Dawn), for tests that
 * skip without one — and FAIL instead when ATELIER_REQUIRE_WEBGPU=1 (CI with lavapipe installed).
 */
import { probeWebGpu } from '../../companion/src/engine/runtime/backends/webgpu.js';

/** True when the environment demands the webgpu suites run (they fail rather than skip). */
export const REQUIRE_WEBGPU = process.env.ATELIER_REQUIRE_WEBGPU === '1';

/** The adapter found, or why there is none (with the hint to install the software driver). */
export async function webgpuAvailability(): Promise<{ available: boolean; device?: string; software?: boolean; reason?: string }> {
  try {
    const { device, software } = await probeWebGpu();
    return { available: true, device, software };
  } catch (err) {
    const reason =
      `${(err as Error).message}. For a CPU-only machine: bash ../shared/scripts/install-lavapipe.sh && ` +
      'source ~/.cache/lavapipe/env.sh before running the tests';
    return { available: false, reason };
  }
}
