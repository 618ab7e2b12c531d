/**
 * One Stylize run, from the UI's side: export the layers (via the main thread), submit one job
 * (a batch for several layers), follow its SSE events, fetch every result, and apply them (via the
 * main thread). Cancellation goes through the companion (`DELETE /v1/jobs/:id`) and is honoured in
 * every phase: a cancel while exporting or uploading never submits (or at once cancels) the job,
 * and nothing is applied once the designer canceled.
 */
import type { JobProgress } from '../../../shared/protocol.js';
import type { StylizeParamsInput } from '../../../shared/params.js';
import type { ExportRequest, LayerFailure, MainToUi } from '../logic/messages.js';
import type { StyleRef } from '../logic/provenance.js';
import { CompanionError, type CompanionClient, type UploadFile } from './companionClient.js';

/** The style of a run: uploaded image(s) or a team preset. */
export type RunStyle = { kind: 'file'; file: UploadFile; ref: StyleRef } | { kind: 'layer'; nodeId: string; ref: StyleRef } | { kind: 'preset'; presetId: string; ref: StyleRef };

/** What the run needs from the main thread. */
export interface MainBridge {
  exportLayers(layers: ExportRequest[], style: ExportRequest | null, replaceFill: boolean): Promise<MainToUi['exported']>;
  apply(items: { nodeId: string; png: Uint8Array; replaceFill: boolean }[], provenance: ApplyProvenance): Promise<MainToUi['applied']>;
  /** The job exists on the companion / is over: main cancels it if the plugin closes in between. */
  jobStarted(jobId: string): void;
  jobEnded(): void;
}

/** Provenance as the UI sends it (the main thread stamps appliedAt). */
export interface ApplyProvenance {
  v: 1;
  style: StyleRef;
  params: StylizeParamsInput;
  jobId: string;
  companionVersion: string | null;
}

/** Live updates of a run. */
export interface RunObserver {
  phase(text: string): void;
  started(jobId: string, layers: { nodeId: string; name: string }[]): void;
  queued(position: number): void;
  progress(p: JobProgress, preview: string | undefined): void;
}

/** Outcome of a finished run. */
export interface RunOutcome {
  jobId: string;
  applied: { nodeId: string; name: string }[];
  failed: LayerFailure[];
}

/** Message when the designer canceled. */
export const CANCELED_MESSAGE = 'Canceled — nothing was changed';

const canceled = (): CompanionError => new CompanionError(0, 'canceled', CANCELED_MESSAGE);

/** Runs one stylization end to end; throws CompanionError (code `canceled` when canceled). */
export async function runStylize(
  client: CompanionClient,
  main: MainBridge,
  req: { layers: ExportRequest[]; style: RunStyle; styleSize: number; params: StylizeParamsInput; companionVersion: string | null; replaceFill: boolean },
  observe: RunObserver,
  signal?: AbortSignal,
): Promise<RunOutcome> {
  const check = (): void => {
    if (signal?.aborted) throw canceled();
  };
  observe.phase('Exporting layers…');
  const exported = await main.exportLayers(req.layers, req.style.kind === 'layer' ? { nodeId: req.style.nodeId, size: req.styleSize } : null, req.replaceFill);
  check();
  if (!exported.contents.length) {
    throw new CompanionError(0, 'nothing_to_export', exported.failed[0]?.reason ?? 'No layer could be exported');
  }
  const styles: UploadFile[] = [];
  if (req.style.kind === 'file') styles.push(req.style.file);
  if (req.style.kind === 'layer') {
    if (!exported.style) throw new CompanionError(0, 'style_missing', 'The style layer could not be exported');
    styles.push({ name: 'style.png', data: exported.style.png });
  }
  observe.phase('Uploading…');
  let jobId: string;
  try {
    jobId = await client.createJob(
      {
        contents: exported.contents.map((c, i) => ({ name: `layer-${i}.png`, data: c.png })),
        styles,
        presetId: req.style.kind === 'preset' ? req.style.presetId : undefined,
        params: req.params,
      },
      signal,
    );
  } catch (err) {
    check();
    throw err;
  }
  if (signal?.aborted) {
    await client.cancel(jobId).catch(() => undefined);
    throw canceled();
  }
  main.jobStarted(jobId);
  try {
    return await followAndApply(client, main, req, exported, jobId, observe, signal);
  } finally {
    main.jobEnded();
  }
}

async function followAndApply(
  client: CompanionClient,
  main: MainBridge,
  req: { style: RunStyle; params: StylizeParamsInput; companionVersion: string | null },
  exported: MainToUi['exported'],
  jobId: string,
  observe: RunObserver,
  signal?: AbortSignal,
): Promise<RunOutcome> {
  observe.started(
    jobId,
    exported.contents.map((c) => ({ nodeId: c.nodeId, name: c.name })),
  );
  observe.phase('Waiting for the companion…');
  let terminal: 'succeeded' | 'failed' | 'canceled' | null = null;
  let failure: { code: string; message: string } | null = null;
  const onAbort = (): void => void client.cancel(jobId).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.streamEvents(jobId, (ev) => {
      if (ev.type === 'queued') observe.queued(ev.position);
      else if (ev.type === 'progress') observe.progress(ev.progress, ev.preview);
      else {
        terminal = ev.type;
        if (ev.type === 'failed') failure = ev.error;
      }
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const end = terminal as 'succeeded' | 'failed' | 'canceled' | null;
  if (signal?.aborted) throw canceled();
  if (end === 'canceled') throw new CompanionError(0, 'canceled_by_companion', 'The companion stopped this job (it was shut down, or canceled elsewhere) — nothing was changed');
  if (end === 'failed') {
    const f = failure as { code: string; message: string } | null;
    throw new CompanionError(0, f?.code ?? 'job_failed', `The companion could not stylize: ${f?.message ?? 'unknown error'}`);
  }
  if (end !== 'succeeded') throw new CompanionError(0, 'stream_ended', 'Lost the connection to the companion while stylizing');
  observe.phase('Applying…');
  const items: { nodeId: string; png: Uint8Array; replaceFill: boolean }[] = [];
  for (const [i, c] of exported.contents.entries()) items.push({ nodeId: c.nodeId, png: await client.result(jobId, i, signal), replaceFill: c.replaceFill });
  if (signal?.aborted) throw canceled();
  const applied = await main.apply(items, { v: 1, style: req.style.ref, params: req.params, jobId, companionVersion: req.companionVersion });
  return { jobId, applied: applied.applied, failed: [...exported.failed, ...applied.failed] };
}
