/** Types of build-cli.mjs for the TypeScript that imports it (bench/cli.ts). */
export function buildCli(opts?: { outDir?: string; minify?: boolean }): Promise<string>;
export const NODE_ESM_BUILD: Record<string, unknown>;
