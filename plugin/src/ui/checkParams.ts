/**
 * Validation of the run's params against the shared zod schema (UI only: keeps zod out of main.js),
 * worded for designers: the panel's own field names and plain limits ("Content weight must be at
 * least 0"), never schema paths ("contentWeight: Too small…").
 */
import type { z } from 'zod';
import { stylizeParamsSchema, type StylizeParamsInput } from '../../../shared/params.js';

/** The field's name as the panel shows it (its label), or a readable fallback. */
export type LabelOf = (key: string) => string;

/** "contentWeight" → "Content weight", when no label is known. */
export const fallbackLabel: LabelOf = (key) => key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase()).replace(/ ([A-Z])/g, (_, c: string) => ` ${c.toLowerCase()}`);

/** One issue as a sentence about the field the designer sees. */
export function describeIssue(issue: z.core.$ZodIssue, labelOf: LabelOf = fallbackLabel): string {
  const label = labelOf(String(issue.path[0] ?? 'settings'));
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'array' ? `${label} needs at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}` : `${label} must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `${label} takes at most ${issue.maximum} entries` : `${label} must be at most ${issue.maximum}`;
    case 'invalid_type':
      return `${label} must be a ${issue.expected === 'int' ? 'whole number' : issue.expected}`;
    case 'invalid_format':
      return issue.path.length > 1 ? `${label}: each entry must be ${issue.message}` : `${label} must be ${issue.message}`;
    default:
      return `${label}: ${issue.message}`;
  }
}

/** Validates params against the shared schema: `{ok, params}` or `{ok:false, message}` (one line, for designers). */
export function checkParams(params: StylizeParamsInput, labelOf: LabelOf = fallbackLabel): { ok: true; params: StylizeParamsInput } | { ok: false; message: string; fields: string[] } {
  const r = stylizeParamsSchema.safeParse(params);
  if (r.success) return { ok: true, params };
  const fields = [...new Set(r.error.issues.map((i) => String(i.path[0] ?? '')).filter(Boolean))];
  return { ok: false, message: [...new Set(r.error.issues.slice(0, 2).map((i) => describeIssue(i, labelOf)))].join('; '), fields };
}
