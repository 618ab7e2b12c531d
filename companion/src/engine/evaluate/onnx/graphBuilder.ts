/**
 * A graph under construction: nodes, constants, inputs and outputs, with helpers that name their
 * outputs. The graph fragments (vggGraph.ts, and the loss terms through graphOps.ts) add to one builder; `encode` writes the
 * ONNX model.
 */
import { encodeModel, type NodeInit, type TensorInit, type ValueInit } from './protobuf.js';

/** A float32 constant. */
export const f32 = (name: string, dims: number[], values: ArrayLike<number>): TensorInit => ({ name, dims, data: Float32Array.from(values) });
/** An int64 constant (shapes, axes, pads, indices). */
export const i64 = (name: string, values: number[]): TensorInit => ({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });

export class GraphBuilder {
  readonly nodes: NodeInit[] = [];
  readonly inits: TensorInit[] = [];
  readonly inputs: ValueInit[] = [];
  readonly outputs: ValueInit[] = [];
  private counter = 0;

  /** Adds a one-output node and returns its output's name. */
  add = (op: string, ins: string[], out: string, attrs?: NodeInit['attrs']): string => {
    this.nodes.push({ op, inputs: ins, outputs: [out], attrs });
    return out;
  };

  /** A float constant with a generated name. */
  constant = (dims: number[], values: ArrayLike<number>): string => {
    const name = `const${this.counter++}`;
    this.inits.push(f32(name, dims, values));
    return name;
  };

  /** An int64 constant with a generated name. */
  ints = (values: number[]): string => {
    const name = `ints${this.counter++}`;
    this.inits.push(i64(name, values));
    return name;
  };

  scalar = (v: number): string => this.constant([], [v]);

  /** A new value name starting with `prefix`, unique in the graph. */
  fresh = (prefix: string): string => `${prefix}_${this.counter++}`;

  /** Declares a float input and returns its name. */
  input = (name: string, dims: number[]): string => {
    this.inputs.push({ name, dims });
    return name;
  };

  /** Names `value` as an output of the graph (through Identity when it already has another name). */
  output = (name: string, value: string, dims: number[]): string => {
    if (value !== name) this.add('Identity', [value], name);
    this.outputs.push({ name, dims });
    return name;
  };

  /** Σ of several tensors (Identity for one, a zero scalar for none). */
  sum = (parts: string[], name: string): string =>
    parts.length === 0 ? this.add('Identity', [this.scalar(0)], name) : this.add(parts.length === 1 ? 'Identity' : 'Sum', parts, name);

  encode(): Uint8Array {
    return encodeModel({ nodes: this.nodes, initializers: this.inits, inputs: this.inputs, outputs: this.outputs });
  }
}
