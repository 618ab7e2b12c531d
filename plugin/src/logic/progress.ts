/**
 * Progress arithmetic for the run panel: per-layer fractions from the SSE progress events, and a
 * readable ETA.
 */
import type { JobProgress } from '../../../shared/protocol.js';

/** Fraction 0..1 of one item's work done, across its scales. */
export function itemFraction(p: Pick<JobProgress, 'scale' | 'scales' | 'iteration' | 'iterations'>): number {
  const scales = Math.max(1, p.scales);
  const iterations = Math.max(1, p.iterations);
  const scaleIndex = Math.min(Math.max(p.scale, 0), scales - 1);
  const f = (scaleIndex + Math.min(Math.max(p.iteration, 0), iterations) / iterations) / scales;
  return Math.min(1, Math.max(0, f));
}

/**
 * Per-item fractions for a batch of `items` given the latest progress (`item` is 1-based): items
 * before the current one are done, later ones not started.
 */
export function batchFractions(items: number, p: JobProgress | null): number[] {
  return Array.from({ length: items }, (_, i) => {
    if (!p) return 0;
    const current = p.item - 1;
    if (i < current) return 1;
    if (i > current) return 0;
    return itemFraction(p);
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
