/**
 * Elementwise kernels (float32): one ONNX op each, except log1p (ONNX has none), sigmoid (ORT's
 * clamps its tails) and the comparisons (a Cast of ONNX's booleans).
 */
import { broadcastShapes, sameShape } from '@illia-ts/core';
import { attr, type GraphBuilder } from '../graph/graph-builder.js';
import type { LazyOp, LazyTensor } from '../graph/lazy-tensor.js';
import { DataType } from '../proto/onnx.js';
import { broadcastSource } from './broadcast-to.js';
import { fixed, type OnnxKernel } from './kernel.js';
import {
  emitExp,
  emitLog,
  emitLog1p,
  emitPortableSoftplus,
  emitPortableTanh,
} from './portable-math.js';

/**
 * `log(1 + x)` without cancellation for small x (Goldberg 1991, "What every computer scientist
 * should know about floating-point arithmetic", theorem 4): with `u = 1 + x` rounded,
 * `log(u) · x / (u − 1)` is accurate to a few ulps. `u − 1 = 0` means x is below the rounding of
 * 1, where log1p(x) = x; `u − 1 = x` covers -1, ±∞ and large x, where log(u) is already right
 * (and x / (u − 1) would be 0/0 or ∞/∞).
 */
function log1p(g: GraphBuilder, x: string): string {
  return emitLog1p(g, x, (u) => (g.portable ? emitLog(g, u) : g.op('Log', [u])));
}

/**
 * `1 / (1 + e^−x)` accurate in both tails. ORT's Sigmoid (MLAS) clamps x to about ±18, so
 * sigmoid(−30) comes out 1.5e-8 instead of 9.4e-14; with `e = e^−|x|` and `r = 1 / (1 + e)`,
 * the value is `r` for x ≥ 0 and `e·r` below, neither of which overflows or cancels.
 */
function sigmoid(g: GraphBuilder, x: string): string {
  const e = emitExpOf(g, g.op('Neg', [g.op('Abs', [x])]));
  const r = g.op('Reciprocal', [g.op('Add', [e, g.float(1)])]);
  const nonNegative = g.op('GreaterOrEqual', [x, g.float(0)]);
  return g.op('Where', [nonNegative, r, g.op('Mul', [e, r])]);
}

/** ONNX's Exp, or its portable form on a GPU provider (see portable-math.ts). */
export const emitExpOf = (g: GraphBuilder, x: string): string =>
  g.portable ? emitExp(g, x) : g.op('Exp', [x]);

/** ONNX's Log, or its portable form on a GPU provider. */
export const emitLogOf = (g: GraphBuilder, x: string): string =>
  g.portable ? emitLog(g, x) : g.op('Log', [x]);

/**
 * softplus(x) = max(x, 0) + log1p(e^−|x|), which neither overflows nor rounds 1 + e^x away.
 * ONNX Runtime's cpu Softplus computes that form one element at a time with the C library's
 * exp and log1p (about 16 ns an element here: 3 of them on a 784×400 rho were 40% of a training
 * step), so it is written out with Exp and Log, which ONNX Runtime vectorises, and log1p by
 * Goldberg's theorem 4 on u = 1 + e (e ≤ 1, so u − 1 = 0 is the only special case: e below
 * half an ulp of 1, where log1p(e) = e). e^−|x| is the same node as sigmoid's. The webgpu
 * provider's Exp and Log are not accurate enough for it: there the portable form.
 */
export function emitSoftplusOf(g: GraphBuilder, x: string): string {
  if (g.portable) return emitPortableSoftplus(g, x);
  const e = g.op('Exp', [g.op('Neg', [g.op('Abs', [x])])]);
  const u = g.op('Add', [e, g.float(1)]);
  const d = g.op('Sub', [u, g.float(1)]);
  const log1pE = g.op('Where', [
    g.op('Equal', [d, g.float(0)]),
    e,
    g.op('Mul', [g.op('Log', [u]), g.op('Div', [e, d])]),
  ]);
  return g.op('Add', [g.op('Max', [x, g.float(0)]), log1pE]);
}

const UNARY = {
  neg: (g, x) => g.op('Neg', [x]),
  exp: emitExpOf,
  log: emitLogOf,
  log1p,
  sqrt: (g, x) => g.op('Sqrt', [x]),
  // x·x is correctly rounded; Pow(x, 2) need not be.
  square: (g, x) => g.op('Mul', [x, x]),
  abs: (g, x) => g.op('Abs', [x]),
  softplus: emitSoftplusOf,
  relu: (g, x) => g.op('Relu', [x]),
  sigmoid,
  tanh: (g, x) => (g.portable ? emitPortableTanh(g, x) : g.op('Tanh', [x])),
} satisfies Record<string, (g: GraphBuilder, x: string) => string>;

/** ONNX's multidirectional broadcasting is NumPy's. */
const BINARY = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', maximum: 'Max' } as const;

/** The kernel of a unary op. */
export function unary(name: keyof typeof UNARY): OnnxKernel {
  const emit = UNARY[name];
  return fixed({ signature: name, emit: (g, [x]) => emit(g, x as string) });
}

/**
 * The value of a one-element float32 tensor that is known when an op on it is recorded (computed,
 * or a pending reshape of one), else undefined.
 */
function knownScalar(t: LazyTensor): number | undefined {
  for (let n: LazyTensor | undefined = t; n !== undefined; n = n.pendingOp?.inputs[0]) {
    if (n.size !== 1 || n.dtype !== 'float32') return undefined;
    if (n.values !== null) return n.values[0];
    if (n.pendingOp?.op.signature !== 'reshape') return undefined;
  }
  return undefined;
}

/** Passes its one input through (x·1, the same values and shape). */
const passThrough: LazyOp = { signature: 'same', emit: (_g, [x]) => x as string };

/**
 * The kernel of a broadcasting arithmetic op. An input that is a pending broadcastTo is read
 * before its broadcast where the op's own broadcast gives the same output shape (sum's gradient
 * times y's other factor, in a product's backward pass): the repeated tensor is not written. A
 * product with a known 1 of no more axes than the other factor (the seed of a gradient) is that
 * factor.
 */
export function binary(name: keyof typeof BINARY): OnnxKernel {
  const opType = BINARY[name];
  const op: LazyOp = {
    signature: name,
    emit: (g, [a, b]) => g.op(opType, [a as string, b as string]),
  };
  // Whether `source`, broadcast with `other`, gives the op's output shape.
  const fits = (source: LazyTensor, other: LazyTensor, shape: readonly number[]) => {
    const both = broadcastShapes(source.shape, other.shape);
    return both !== null && sameShape(both, shape);
  };
  return (inputs, _attrs, output) => {
    let a = inputs[0] as LazyTensor;
    let b = inputs[1] as LazyTensor;
    const sourceA = broadcastSource(a);
    if (sourceA !== null && fits(sourceA, b, output.shape)) a = sourceA;
    const sourceB = broadcastSource(b);
    if (sourceB !== null && fits(sourceB, a, output.shape)) b = sourceB;
    if (name === 'mul') {
      if (a.size === 1 && sameShape(b.shape, output.shape) && knownScalar(a) === 1) {
        return { ...passThrough, inputs: [b] };
      }
      if (b.size === 1 && sameShape(a.shape, output.shape) && knownScalar(b) === 1) {
        return { ...passThrough, inputs: [a] };
      }
    }
    return a === inputs[0] && b === inputs[1] ? op : { ...op, inputs: [a, b] };
  };
}

/**
 * relu's gradient, `dy · (x > 0)`: core's composition as one kernel (the same nodes, one op to
 * record), a product by 1 or 0 that keeps NaN and −0 as that composition does.
 */
export const reluGrad: OnnxKernel = fixed({
  signature: 'reluGrad',
  emit: (g, [x, dy]) =>
    g.op('Mul', [
      dy as string,
      g.op('Cast', [g.op('Greater', [x as string, g.float(0)])], [attr.int('to', DataType.FLOAT)]),
    ]),
});

/** The kernel of `greater` or `less`: ONNX gives booleans, 1 and 0 as float32. */
export function comparison(name: 'greater' | 'less'): OnnxKernel {
  const opType = name === 'greater' ? 'Greater' : 'Less';
  const op: LazyOp = {
    signature: name,
    emit: (g, [a, b]) =>
      g.op('Cast', [g.op(opType, [a as string, b as string])], [attr.int('to', DataType.FLOAT)]),
  };
  return fixed(op);
}
