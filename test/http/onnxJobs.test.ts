/**
 * Jobs through the onnx runtime over real HTTP: a job succeeds with a PNG of the content's
 * size, a running job is cancelled by DELETE and the next one runs, and no tensor is left behind.
 * Skips with the reason when onnxruntime-node cannot load (fails with ATELIER_REQUIRE_ONNX=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { createOrtRuntime } from '../../companion/src/engine/evaluate/onnx/ortRuntime.js';
import { loadOrt, requireOrt } from '../helpers/ortAvailable.js';
import { FAST, jobForm, makePng, occupyWorker, startTestServer, submitJob, waitForJob, type TestServer } from './harness.js';

const available = await loadOrt('onnx jobs');
const ort = available.ort;
requireOrt('onnx jobs', available);

describe.skipIf(!ort)('jobs through the onnx runtime', () => {
  let srv: TestServer;
  let content: Buffer;
  let style: Buffer;
  let baseline: number;

  beforeAll(async () => {
    srv = await startTestServer({}, { runtime: createOrtRuntime(ort!, { threads: 2 }) });
    content = await makePng(40, 30, { alpha: true });
    style = await makePng(32, 32, { seed: 3 });
    baseline = tf.memory().numTensors;
  });
  afterAll(async () => srv?.close());

  it('a job succeeds with the content-sized PNG; a running one is cancelled and the next runs; no leaks', async () => {
    const { body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, optimizer: 'lbfgs' } }));
    const done = await waitForJob(srv, body.id);
    expect(done.state).toBe('succeeded');
    const png = Buffer.from(await (await fetch(`${srv.url}/v1/jobs/${body.id}/result`, { headers: srv.auth })).arrayBuffer());
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([40, 30]);

    const blocker = await occupyWorker(srv, content, style);
    const next = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: FAST }));
    await blocker.cancel();
    expect((await waitForJob(srv, blocker.id)).state).toBe('canceled');
    expect((await waitForJob(srv, next.body.id)).state).toBe('succeeded');
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
