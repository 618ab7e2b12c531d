/**
 * Test child: runs the CLI with its arguments, then prints (last line) which heavy libraries got
 * loaded: TF.js, ONNX Runtime, Dawn, sharp, h5wasm. Run with `node --import tsx`.
 */
import { createRequire } from 'node:module';
import { main } from '../../companion/src/cli.js';

const HEAVY = /node_modules[\\/](@tensorflow[\\/][^\\/]+|onnxruntime-node|webgpu|sharp|h5wasm)[\\/]/;

const code = await main(process.argv.slice(2));
const loaded = new Set<string>();
for (const file of Object.keys(createRequire(import.meta.url).cache)) {
  const m = HEAVY.exec(file);
  if (m) loaded.add(m[1].replace(/\\/g, '/'));
}
if ('_tfengine' in globalThis) loaded.add('@tensorflow (engine created)');
process.stdout.write(`\n${JSON.stringify({ code, heavy: [...loaded].sort() })}\n`);
