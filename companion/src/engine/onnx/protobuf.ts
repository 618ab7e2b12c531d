/**
 * A minimal writer for the ONNX protobuf messages Atelier builds in memory (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto), field numbers as in onnx.proto. Only
 * what gatysGraph.ts needs: float/int64 tensors, int/string/float/ints attributes, static shapes.
 */

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** Appends protobuf wire-format fields to a growing list of chunks. */
class Writer {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: 0 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Writer): this {
    return this.bytes(field, value.finish());
  }

  packedInts(field: number, values: readonly number[]): this {
    const w = new Writer();
    for (const v of values) w.varint(v);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** An attribute value: an integer, a string, `{ float }`, a list of integers, or a tensor. */
export type AttrValue = number | string | { float: number } | readonly number[] | TensorInit;

/** A constant tensor (initializer or attribute). */
export interface TensorInit {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** A node of the graph. */
export interface NodeInit {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrValue>;
}

/** A graph input or output with a static float shape. */
export interface ValueInit {
  name: string;
  dims: readonly number[];
}

function tensorProto(t: TensorInit): Writer {
  const w = new Writer().packedInts(1, t.dims).int(2, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64);
  w.string(8, t.name);
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function attributeProto(name: string, value: AttrValue): Writer {
  const w = new Writer().string(1, name);
  if (typeof value === 'number') return w.int(20, 2).int(3, value); // INT
  if (typeof value === 'string') return w.int(20, 3).string(4, value); // STRING
  if (Array.isArray(value)) return w.int(20, 7).packedInts(8, value as number[]); // INTS
  if ('float' in (value as object)) return w.int(20, 1).float(2, (value as { float: number }).float); // FLOAT
  return w.int(20, 4).message(5, tensorProto(value as TensorInit)); // TENSOR
}

function nodeProto(n: NodeInit, index: number): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `n${index}`).string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attributeProto(k, v));
  return w;
}

function valueInfoProto(v: ValueInit): Writer {
  const shape = new Writer();
  for (const d of v.dims) shape.message(1, new Writer().int(1, d));
  const tensorType = new Writer().int(1, DataType.FLOAT).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

/** Serialises a one-graph ONNX model (IR version 8, default opset 17). */
export function encodeModel(graph: { nodes: readonly NodeInit[]; initializers: readonly TensorInit[]; inputs: readonly ValueInit[]; outputs: readonly ValueInit[] }): Uint8Array {
  const g = new Writer();
  graph.nodes.forEach((n, i) => g.message(1, nodeProto(n, i)));
  g.string(2, 'atelier_gatys');
  for (const t of graph.initializers) g.message(5, tensorProto(t));
  for (const v of graph.inputs) g.message(11, valueInfoProto(v));
  for (const v of graph.outputs) g.message(12, valueInfoProto(v));
  const opset = new Writer().string(1, '').int(2, 17);
  return new Writer().int(1, 8).string(2, 'atelier').message(8, opset).message(7, g).finish();
}
