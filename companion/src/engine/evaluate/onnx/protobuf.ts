/**
 * A minimal writer for the ONNX protobuf messages Atelier builds in memory (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto), field numbers as in onnx.proto. Only
 * what gatysGraph.ts needs: float/int64 tensors, int/string/float/ints attributes, static shapes.
 */

/**
 * Field numbers and enum values of the onnx.proto messages written here, by their names in
 * onnx.proto (checked against onnx/onnx.proto; they are frozen by protobuf compatibility).
 */
const F = {
  ModelProto: { ir_version: 1, producer_name: 2, graph: 7, opset_import: 8 },
  OperatorSetIdProto: { domain: 1, version: 2 },
  GraphProto: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  NodeProto: { input: 1, output: 2, name: 3, op_type: 4, attribute: 5 },
  AttributeProto: { name: 1, f: 2, i: 3, s: 4, t: 5, ints: 8, type: 20 },
  TensorProto: { dims: 1, data_type: 2, name: 8, raw_data: 9 },
  ValueInfoProto: { name: 1, type: 2 },
  TypeProto: { tensor_type: 1 },
  TypeProto_Tensor: { elem_type: 1, shape: 2 },
  TensorShapeProto: { dim: 1 },
  TensorShapeProto_Dimension: { dim_value: 1 },
} as const;

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

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
  const T = F.TensorProto;
  return new Writer()
    .packedInts(T.dims, t.dims)
    .int(T.data_type, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64)
    .string(T.name, t.name)
    .bytes(T.raw_data, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function attributeProto(name: string, value: AttrValue): Writer {
  const A = F.AttributeProto;
  const w = new Writer().string(A.name, name);
  if (typeof value === 'number') return w.int(A.type, AttributeType.INT).int(A.i, value);
  if (typeof value === 'string') return w.int(A.type, AttributeType.STRING).string(A.s, value);
  if (Array.isArray(value)) return w.int(A.type, AttributeType.INTS).packedInts(A.ints, value as number[]);
  if ('float' in (value as object)) return w.int(A.type, AttributeType.FLOAT).float(A.f, (value as { float: number }).float);
  return w.int(A.type, AttributeType.TENSOR).message(A.t, tensorProto(value as TensorInit));
}

function nodeProto(n: NodeInit, index: number): Writer {
  const N = F.NodeProto;
  const w = new Writer();
  for (const i of n.inputs) w.string(N.input, i);
  for (const o of n.outputs) w.string(N.output, o);
  w.string(N.name, `n${index}`).string(N.op_type, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(N.attribute, attributeProto(k, v));
  return w;
}

function valueInfoProto(v: ValueInit): Writer {
  const shape = new Writer();
  for (const d of v.dims) shape.message(F.TensorShapeProto.dim, new Writer().int(F.TensorShapeProto_Dimension.dim_value, d));
  const tensorType = new Writer().int(F.TypeProto_Tensor.elem_type, DataType.FLOAT).message(F.TypeProto_Tensor.shape, shape);
  const type = new Writer().message(F.TypeProto.tensor_type, tensorType);
  return new Writer().string(F.ValueInfoProto.name, v.name).message(F.ValueInfoProto.type, type);
}

/** Serialises a one-graph ONNX model (IR version 8, default opset 17). */
export function encodeModel(graph: { nodes: readonly NodeInit[]; initializers: readonly TensorInit[]; inputs: readonly ValueInit[]; outputs: readonly ValueInit[] }): Uint8Array {
  const G = F.GraphProto;
  const M = F.ModelProto;
  const g = new Writer();
  graph.nodes.forEach((n, i) => g.message(G.node, nodeProto(n, i)));
  g.string(G.name, 'atelier_gatys');
  for (const t of graph.initializers) g.message(G.initializer, tensorProto(t));
  for (const v of graph.inputs) g.message(G.input, valueInfoProto(v));
  for (const v of graph.outputs) g.message(G.output, valueInfoProto(v));
  const opset = new Writer().string(F.OperatorSetIdProto.domain, '').int(F.OperatorSetIdProto.version, 17);
  return new Writer().int(M.ir_version, 8).string(M.producer_name, 'atelier').message(M.opset_import, opset).message(M.graph, g).finish();
}
