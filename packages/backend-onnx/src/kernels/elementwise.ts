/**
 * Elementwise kernels (float32): one ONNX op each, except log1p (ONNX has none), sigmoid (ORT's
 * clamps its tails) and the comparisons (a Cast of ONNX's booleans).
 */
import { attr, type GraphBuilder } from '../graph/graph-builder.js';
import type { LazyOp } from '../graph/lazy-tensor.js';
import { DataType } from '../proto/onnx.js';
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
 * ONNX's Softplus: ONNX Runtime's cpu kernel is the stable form max(x, 0) + log1p(exp(−|x|))
 * (measured: within 2 ulps from −20 to 1e4, no overflow). The webgpu provider's is
 * log(1 + exp(x)), exactly 0 below −17 or so; there the stable form is written out.
 */
export const emitSoftplusOf = (g: GraphBuilder, x: string): string =>
  g.portable ? emitPortableSoftplus(g, x) : g.op('Softplus', [x]);

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

/** The kernel of a broadcasting arithmetic op. */
export function binary(name: keyof typeof BINARY): OnnxKernel {
  const opType = BINARY[name];
  return fixed({ signature: name, emit: (g, [a, b]) => g.op(opType, [a as string, b as string]) });
}

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
