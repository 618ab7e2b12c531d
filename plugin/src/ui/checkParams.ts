/** Validation of the run's params against the shared zod schema (UI only: keeps zod out of main.js). */
import { stylizeParamsSchema, type StylizeParamsInput } from '../../../shared/params.js';
import { describeZodError } from '../../../shared/describeZodError.js';

/** Validates params against the shared schema: `{ok, params}` or `{ok:false, message}` (one line). */
export function checkParams(params: StylizeParamsInput): { ok: true; params: StylizeParamsInput } | { ok: false; message: string } {
  const r = stylizeParamsSchema.safeParse(params);
  return r.success ? { ok: true, params } : { ok: false, message: describeZodError(r.error) };
}
