import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { autoScaleCount, estimateSeconds, planSchedule, stalled, STOP_WINDOW } from '../../shared/schedule.js';
import { measureSpeed, SPEED_REFERENCE_SIDE } from '../../companion/src/engine/evaluate/speed.js';
import { createEtaClock } from '../../companion/src/engine/schedule/eta.js';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';

describe('schedule', () => {
  it("'auto' starts near 128 px and doubles, the coarser scales running more iterations", () => {
    expect(planSchedule(512, 'auto', 100)).toEqual([
      { side: 128, iterations: 400 },
      { side: 256, iterations: 200 },
      { side: 512, iterations: 100 },
    ]);
    expect(planSchedule(256, 'auto', 50)).toEqual([
      { side: 128, iterations: 100 },
      { side: 256, iterations: 50 },
    ]);
    expect(planSchedule(128, 'auto', 50)).toEqual([{ side: 128, iterations: 50 }]);
    expect(autoScaleCount(1024)).toBe(4);
    expect(autoScaleCount(200)).toBe(2);
    expect(autoScaleCount(160)).toBe(1);
  });

  it('an explicit count of 1 is the single-scale run', () => {
    expect(planSchedule(512, 1, 300)).toEqual([{ side: 512, iterations: 300 }]);
  });

  it('stops a scale whose loss stalled over the window, not one still improving', () => {
    const improving = Array.from({ length: 30 }, (_, i) => 1000 * 0.99 ** i);
    const flat = [...improving.slice(0, 15), ...Array.from({ length: STOP_WINDOW + 1 }, (_, i) => 860 - i * 0.01)];
    expect(stalled(improving)).toBe(false);
    expect(stalled(flat)).toBe(true);
    expect(stalled(improving.slice(0, STOP_WINDOW))).toBe(false);
  });

  it('estimates a run from the measured speed: work grows with the pixels', () => {
    const speed = { referenceSide: 128, secondsPerEvaluation: 0.1 };
    const single = estimateSeconds(planSchedule(256, 1, 100), 'adam', speed);
    expect(single).toBeCloseTo(100 * 4 * 0.1);
    const auto = estimateSeconds(planSchedule(256, 'auto', 100), 'adam', speed, 0.75);
    expect(auto).toBeCloseTo((200 * 1 + 100 * 4) * 0.1 * 0.75);
  });
});

describe('ETA', () => {
  it("is computed from the schedule's remaining work, not the first scale's pace alone", () => {
    let now = 0;
    const plan = [
      { pixels: 128 * 128, iterations: 100 },
      { pixels: 256 * 256, iterations: 50 },
    ];
    const clock = createEtaClock(plan, 'adam', () => now);
    now = 2; // set-up of scale 1
    clock.scaleReady(0);
    now = 3; // one evaluation of 128² in 1 s
    const eta = clock.iterationDone(0, 1, 1, false);
    // 99 more at 1 s, 50 at 4× the pixels (4 s), and one more set-up of 2 s
    expect(eta).toBeCloseTo(99 + 200 + 2);
  });
});

describe('measured speed', () => {
  it('times evaluations at the reference size and releases every tensor', async () => {
    await tf.setBackend('cpu');
    const model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 3 }));
    const before = tf.memory().numTensors;
    const speed = await measureSpeed(model, 1);
    expect(speed.referenceSide).toBe(SPEED_REFERENCE_SIDE);
    expect(speed.secondsPerEvaluation).toBeGreaterThan(0);
    expect(Number.isFinite(speed.secondsPerEvaluation)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
