/**
 * Builds one ONNX graph: kernels call {@link GraphBuilder.op} with value names and get the name of
 * the new value back. Constants become initializers (ONNX Runtime folds what depends only on them
 * when it creates the session).
 */
import type { DType } from '@illia-ts/core';
import {
  type AttributeProto,
  constantTensor,
  DataType,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../proto/onnx.js';

/** The opset of every graph: ≤ 21 because ONNX Runtime 1.30 has no RandomNormalLike-22 and
 * the integer ops used here (BitwiseXor, BitShift) need ≥ 18. */
export const OPSET_VERSION = 21;
/** The IR version that opset 21 needs. */
export const IR_VERSION = 10;

/** Short forms of the attributes kernels use. */
export const attr = {
  int: (name: string, value: number): AttributeProto => ({ name, type: 'int', value }),
  ints: (name: string, value: readonly number[]): AttributeProto => ({ name, type: 'ints', value }),
  string: (name: string, value: string): AttributeProto => ({ name, type: 'string', value }),
};

/** The ONNX element type of a dtype. */
export function elemTypeOf(dtype: DType): DataType {
  return dtype === 'int32' ? DataType.INT32 : DataType.FLOAT;
}

/** A graph output: a value's name, element type and shape. */
export interface GraphOutput {
  readonly name: string;
  readonly elemType: DataType;
  readonly dims: readonly number[];
}

export class GraphBuilder {
  /**
   * Whether kernels write transcendental functions (exp, log, softplus, tanh, …) from arithmetic,
   * accurate wherever the basic operations are correctly rounded, instead of as ONNX's single ops.
   * Set for GPU providers: WebGPU's exp is only within 3 + 2·|x| ulps and its log within 2^-21
   * absolutely near 1 (WGSL's accuracy rules, measured on SwiftShader), so that `Softplus(−20)` is
   * exactly 0 there; ONNX Runtime's cpu kernels are accurate, and keep the single ops.
   */
  readonly portable: boolean;
  /**
   * Whether two-input `Max` and `Min` are written as `Where(Less(a, b), b, a)` (and `Greater` for
   * Min). Set for onnxruntime-web's webgpu provider (JSEP): in a graph with a Max or Min beside
   * other nodes, its Max and Min can give another node's result or read another constant
   * (measured with onnxruntime-web in Chromium on SwiftShader: `Max(x, 0.5)` beside `Max(x, 0)`
   * gave `Max(x, 0)`, beside `Relu(x)` it gave `Max(x, −110)` of an unused initializer, and
   * softplus's clamp `Max(−|x|, −110)` in log(softplus) gave `Max(x, 0)`), while Less, Greater,
   * Equal and Where are right there. onnxruntime-node's webgpu provider is not affected.
   */
  readonly minMaxAsWhere: boolean;
  readonly #nodes: NodeProto[] = [];
  readonly #initializers: TensorProto[] = [];
  readonly #inputs: ValueInfoProto[] = [];
  readonly #constants = new Map<string, string>();
  /** Nodes written so far, by op, inputs and attributes (see {@link nodeKey}). */
  readonly #written = new Map<string, readonly string[]>();
  #next = 0;

  constructor(options: { portable?: boolean; minMaxAsWhere?: boolean } = {}) {
    this.portable = options.portable ?? false;
    this.minMaxAsWhere = options.minMaxAsWhere ?? false;
  }

  /** Declares a graph input and returns its name. */
  input(elemType: DataType, dims: readonly number[]): string {
    const name = `in${this.#inputs.length}`;
    this.#inputs.push({ name, elemType, dims });
    return name;
  }

  /** Appends a node with one output and returns the output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: readonly AttributeProto[] = [],
  ): string {
    return this.opOutputs(opType, inputs, 1, attributes)[0] as string;
  }

  /** Appends a node with `count` outputs (such as MaxPool's values and indices); returns their names. */
  opOutputs(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: readonly AttributeProto[] = [],
  ): string[] {
    if (this.minMaxAsWhere && count === 1 && inputs.length === 2) {
      if (opType === 'Max') return [this.#select('Less', inputs[0] as string, inputs[1] as string)];
      if (opType === 'Min') {
        return [this.#select('Greater', inputs[0] as string, inputs[1] as string)];
      }
    }
    // The same op on the same values gives the same values: written once. A training step's
    // backward pass recomputes what its forward pass computed (softplus(rho), sigmoid(rho),
    // the draws of a sample's key), and the kernels emit those as the same nodes.
    const key = nodeKey(opType, inputs, count, attributes);
    const known = key === null ? undefined : this.#written.get(key);
    if (known !== undefined) return [...known];
    const outputs = Array.from({ length: count }, () => `v${this.#next++}`);
    this.#nodes.push({ opType, inputs, outputs, attributes });
    if (key !== null) this.#written.set(key, outputs);
    return outputs;
  }

  /**
   * `b` where `compare(a, b)` or b is NaN, else `a`: Max (Less) or Min (Greater) with NaN from
   * either input, as ONNX Runtime's cpu kernels give it (a constant `b` is never NaN here).
   */
  #select(compare: 'Less' | 'Greater', a: string, b: string): string {
    if (this.#isConstant(a) && !this.#isConstant(b)) [a, b] = [b, a];
    const picked = this.op('Where', [this.op(compare, [a, b]), b, a]);
    if (this.#isConstant(b)) return picked;
    return this.op('Where', [this.op('Equal', [b, b]), picked, b]);
  }

  #isConstant(name: string): boolean {
    for (const known of this.#constants.values()) if (known === name) return true;
    return false;
  }

  #constant(key: string, make: (name: string) => TensorProto): string {
    const known = this.#constants.get(key);
    if (known !== undefined) return known;
    const name = `c${this.#constants.size}`;
    this.#initializers.push(make(name));
    this.#constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  float(value: number): string {
    return this.#constant(`f${Object.is(value, -0) ? '-0' : value}`, (name) =>
      constantTensor(name, DataType.FLOAT, [], Float32Array.of(value)),
    );
  }

  /** A uint32 scalar constant. */
  uint32(value: number): string {
    return this.#constant(`u${value}`, (name) =>
      constantTensor(name, DataType.UINT32, [], Uint32Array.of(value)),
    );
  }

  /** An int32 scalar constant. */
  int32(value: number): string {
    return this.#constant(`i${value}`, (name) =>
      constantTensor(name, DataType.INT32, [], Int32Array.of(value)),
    );
  }

  /** An int64 scalar constant. */
  int64(value: number): string {
    return this.#constant(`L${value}`, (name) =>
      constantTensor(name, DataType.INT64, [], BigInt64Array.of(BigInt(value))),
    );
  }

  /** A 1-D float32 constant (a table), made once per graph under `key`. */
  floats(key: string, make: () => Float32Array): string {
    return this.#constant(`F${key}`, (name) => {
      const values = make();
      return constantTensor(name, DataType.FLOAT, [values.length], values);
    });
  }

  /** An int32 constant of shape `dims` (index tables). */
  int32s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.#constant(`I${dims.join('x')}:${values.join(',')}`, (name) =>
      constantTensor(name, DataType.INT32, dims, Int32Array.from(values)),
    );
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds). */
  int64s(values: readonly number[]): string {
    return this.#constant(`l${values.join(',')}`, (name) =>
      constantTensor(name, DataType.INT64, [values.length], BigInt64Array.from(values, BigInt)),
    );
  }

  /** The graph, with `outputs` (names, element types and shapes) as its outputs. */
  finish(outputs: readonly GraphOutput[]): GraphProto {
    return {
      name: 'illia',
      nodes: this.#nodes,
      initializers: this.#initializers,
      inputs: this.#inputs,
      outputs: outputs.map((o) => ({ name: o.name, elemType: o.elemType, dims: o.dims })),
    };
  }
}

/**
 * What identifies a node's computation: its op, inputs, output count and attributes; null for an
 * op whose outputs are not a function of those alone (ONNX's random ops) or whose attributes hold
 * a tensor (not written by kernels here).
 */
function nodeKey(
  opType: string,
  inputs: readonly string[],
  count: number,
  attributes: readonly AttributeProto[],
): string | null {
  if (opType.startsWith('Random') || opType === 'Multinomial') return null;
  let key = `${opType}(${inputs.join(',')})${count}`;
  for (const a of attributes) {
    if (a.type === 'tensor') return null;
    const value =
      a.type === 'ints'
        ? a.value.join(',')
        : a.type === 'string'
          ? JSON.stringify(a.value)
          : Object.is(a.value, -0)
            ? '-0'
            : String(a.value);
    key += `;${a.name}=${value}`;
  }
  return key;
}
