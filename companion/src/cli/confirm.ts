/** Asks a yes/no question on the terminal; Enter means yes. */
import { createInterface } from 'node:readline/promises';

/** Resolves true for an empty answer or one starting with y/Y. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(question)).trim();
    return answer === '' || /^y/i.test(answer);
  } finally {
    rl.close();
  }
}
