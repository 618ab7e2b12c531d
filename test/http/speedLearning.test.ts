/**
 * Estimates that learn (issue 19): the companion's speed in GET /v1/info starts as the one-off
 * measurement and then follows the jobs it finished, per backend and output size, so a client's
 * estimate of the next job of that size (shared/schedule.ts estimateSeconds) is what such jobs took.
 */
import { describe, expect, it } from 'vitest';
import { estimateSeconds, planSchedule, secondsPerEvaluationAt } from '../../shared/schedule.js';
import { SpeedLearner } from '../../companion/src/jobs/estimate.js';
import { FAST, getJson, jobForm, makePng, startTestServer, submitJob, waitForJob } from './harness.js';

const measured = { referenceSide: 128, secondsPerEvaluation: 0.01 };
const shape = (size: number, aspects = [1]) => ({ size, scales: 'auto' as const, iterations: 50, optimizer: 'lbfgs' as const, aspects });

describe('SpeedLearner', () => {
  it('makes the next estimate of a size what the last job of that size took, per backend', () => {
    const learner = new SpeedLearner();
    expect(learner.speed('cpu', measured)).toBe(measured);
    learner.observe('cpu', shape(256, [1, 0.5]), 90);
    const speed = learner.speed('cpu', measured)!;
    const plan = planSchedule(256, 'auto', 50);
    // the client's formula for the same job gives back its 90 s
    expect(estimateSeconds(plan, 'lbfgs', speed, 1) + estimateSeconds(plan, 'lbfgs', speed, 0.5)).toBeCloseTo(90, 6);
    // another backend has learned nothing
    expect(learner.speed('onnx', measured)).toBe(measured);
    // a size not seen uses the nearest learned one; a new observation moves it halfway
    expect(secondsPerEvaluationAt(speed, 300)).toBe(speed.bySize![0].secondsPerEvaluation);
    learner.observe('cpu', shape(256, [1, 0.5]), 30);
    const after = learner.speed('cpu', measured)!;
    expect(estimateSeconds(plan, 'lbfgs', after, 1) + estimateSeconds(plan, 'lbfgs', after, 0.5)).toBeCloseTo(60, 6);
    learner.observe('cpu', shape(1024), 600);
    expect(learner.speed('cpu', measured)!.bySize!.map((e) => e.size)).toEqual([256, 1024]);
  });

  it('gives a speed from finished jobs alone when nothing was measured, in the measured reference side otherwise', () => {
    const learner = new SpeedLearner();
    learner.observe('cpu', shape(128), 12);
    const alone = learner.speed('cpu', null)!;
    expect(estimateSeconds(planSchedule(128, 'auto', 50), 'lbfgs', alone)).toBeCloseTo(12, 6);
    const other = learner.speed('cpu', { referenceSide: 64, secondsPerEvaluation: 0.002 })!;
    expect(other.referenceSide).toBe(64);
    expect(estimateSeconds(planSchedule(128, 'auto', 50), 'lbfgs', other)).toBeCloseTo(12, 6);
  });
});

describe('GET /v1/info after a job', () => {
  it('reports the speed learned from the finished job for its size', async () => {
    const server = await startTestServer();
    try {
      const before = await getJson(server, '/v1/info');
      expect(before.body.speed).toBeNull();
      const png = await makePng(40, 20);
      const { body } = await submitJob(server, jobForm({ content: [{ data: png }], style: [{ data: await makePng(24, 24, { seed: 3 }) }], params: FAST }));
      expect((await waitForJob(server, body.id)).state).toBe('succeeded');
      const after = await getJson(server, '/v1/info');
      expect(after.body.speed.bySize).toEqual([{ size: FAST.size, secondsPerEvaluation: expect.any(Number) }]);
      expect(after.body.speed.bySize[0].secondsPerEvaluation).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
