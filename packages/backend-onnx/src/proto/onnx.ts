/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto3) that illia-ts writes, as plain typed
 * objects, and their encoding. Field numbers are those of onnx.proto3; names follow it.
 */
import { ProtoWriter } from './wire.js';

/** `TensorProto.DataType` values used here. */
export const DataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  DOUBLE: 11,
  UINT32: 12,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** A constant tensor (`TensorProto`), its values as raw little-endian bytes. */
export interface TensorProto {
  readonly name: string;
  readonly dataType: DataType;
  readonly dims: readonly number[];
  /** Little-endian element bytes (`raw_data`). */
  readonly rawData: Uint8Array;
}

/** A node attribute (`AttributeProto`) of one of the kinds ONNX operators here need. */
export type AttributeProto =
  | { readonly name: string; readonly type: 'float'; readonly value: number }
  | { readonly name: string; readonly type: 'int'; readonly value: number }
  | { readonly name: string; readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'string'; readonly value: string }
  | { readonly name: string; readonly type: 'tensor'; readonly value: TensorProto };

/** An operator application (`NodeProto`). */
export interface NodeProto {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly AttributeProto[];
  readonly name?: string;
}

/**
 * A graph input or output (`ValueInfoProto`) of tensor type. Each dim is a size, or a name for a
 * size fixed only when the graph runs (`dim_param`, e.g. `'n'`), so one session takes any size.
 */
export interface ValueInfoProto {
  readonly name: string;
  readonly elemType: DataType;
  readonly dims: readonly (number | string)[];
}

/** A graph (`GraphProto`). */
export interface GraphProto {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
  readonly initializers?: readonly TensorProto[];
}

/** A model (`ModelProto`) importing the default ONNX domain at `opsetVersion`. */
export interface ModelProto {
  readonly irVersion: number;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly graph: GraphProto;
}

/** `AttributeProto.AttributeType` values. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;

function writeTensor(w: ProtoWriter, t: TensorProto): void {
  w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.rawData);
}

function writeAttribute(w: ProtoWriter, a: AttributeProto): void {
  w.string(1, a.name);
  w.int(20, ATTRIBUTE_TYPE[a.type]);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, (m) => writeTensor(m, a.value));
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
  }
}

function writeNode(w: ProtoWriter, n: NodeProto): void {
  for (const input of n.inputs) w.string(1, input);
  for (const output of n.outputs) w.string(2, output);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.message(5, (m) => writeAttribute(m, a));
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoProto): void {
  w.string(1, v.name);
  // TypeProto.tensor_type (1) → TypeProto.Tensor { elem_type (1), shape (2) }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      // TensorShapeProto.dim (1) → Dimension { dim_value (1) | dim_param (2) }; a scalar has no
      // dims but a shape.
      tensor.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: GraphProto): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers ?? []) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/** Serialises a model to the bytes `InferenceSession.create` takes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.message(7, (m) => writeGraph(m, model.graph));
  // OperatorSetIdProto { domain (1) = "" (default), version (2) }
  w.message(8, (m) => m.string(1, '').int(2, model.opsetVersion));
  return w.finish().slice();
}

/** A constant tensor from typed values. */
export function constantTensor(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  values: Float32Array | Float64Array | Int32Array | Uint32Array | BigInt64Array,
): TensorProto {
  const rawData = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  return { name, dataType, dims, rawData };
}
