/** Internal: `bench measure-child JSON` measures one backend at one size and prints one JSON line. */
import { measureChildMain } from './lib/measure.js';

/** Entry point used by measureInChild. */
export async function main(argv: string[]): Promise<void> {
  if (!argv[0]) throw new Error('measure-child needs a JSON request');
  await measureChildMain(argv[0]);
}
