/** One-line, human-readable summary of a zod validation error (first few issues, with paths). */
import type { ZodError } from 'zod';

/** Formats a ZodError as `size: Too big: expected number to be <=4096; seed: …`. */
export function describeZodError(err: ZodError, maxIssues = 3): string {
  const parts = err.issues.slice(0, maxIssues).map((i) => {
    const path = i.path.length ? `${i.path.join('.')}: ` : '';
    return `${path}${i.message}`;
  });
  if (err.issues.length > maxIssues) parts.push(`(+${err.issues.length - maxIssues} more)`);
  return parts.join('; ');
}
