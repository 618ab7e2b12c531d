/**
 * Progress arithmetic for the run panel: per-layer fractions from the SSE progress events, and a
 * readable ETA.
 */
import type { JobProgress } from '../../../shared/protocol.js';
import { scheduleWork, type ScalePlan } from '../../../shared/schedule.js';

/**
 * Fraction 0..1 of one item's work done, over the whole schedule: each scale weighs its share of
 * the schedule's work (iterations × pixels, shared/schedule.ts), so the bar moves steadily and
 * never drops when a new scale starts. Scales before the current one count as done (they may
 * have stopped early). Without a plan of the same length, scales weigh the same.
 */
export function itemFraction(p: Pick<JobProgress, 'scale' | 'scales' | 'iteration' | 'iterations'>, plan: readonly ScalePlan[] = []): number {
  const scales = Math.max(1, p.scales);
  const weights = plan.length === scales ? plan.map((s) => scheduleWork([s], 'adam', 1)) : Array.from({ length: scales }, () => 1);
  const total = weights.reduce((a, w) => a + w, 0);
  const scaleIndex = Math.min(Math.max(p.scale, 0), scales - 1);
  const within = Math.min(Math.max(p.iteration, 0), Math.max(1, p.iterations)) / Math.max(1, p.iterations);
  const done = weights.slice(0, scaleIndex).reduce((a, w) => a + w, 0) + weights[scaleIndex] * within;
  return Math.min(1, Math.max(0, done / total));
}

/**
 * Per-item fractions for a batch of `items` given the latest progress (`item` is 1-based): items
 * before the current one are done, later ones not started.
 */
export function batchFractions(items: number, p: JobProgress | null, plan: readonly ScalePlan[] = []): number[] {
  return Array.from({ length: items }, (_, i) => {
    if (!p) return 0;
    const current = p.item - 1;
    if (i < current) return 1;
    if (i > current) return 0;
    return itemFraction(p, plan);
  });
}

/** "about 12 s", "about 3 min", "under a second left" from seconds. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return 'almost done';
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  const min = Math.round(seconds / 60);
  if (min < 60) return `about ${min} min left`;
  const h = Math.floor(min / 60);
  return `about ${h} h ${min % 60} min left`;
}

/**
 * The run's remaining seconds: the estimate the quality button showed, counted down, until the
 * engine has timed a tenth of the work (its pace from the first iterations is noise); then the
 * engine's own ETA. So the panel starts from the same number the designer was promised.
 */
export function runEta(estimate: number | null, elapsed: number, fraction: number, engineEta: number | null): number | null {
  if (estimate !== null && (engineEta === null || fraction < 0.1)) return Math.max(0, estimate - elapsed);
  return engineEta;
}
