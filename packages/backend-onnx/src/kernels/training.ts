/** The optional kernels that training needs (core's gradients, layers, losses): one ONNX op each. */
import type { ComparisonKernel, TrainingUnaryKernel } from '@illia-ts/core';
import { attr, type GraphBuilder } from '../graph/graph-builder.js';
import type { LazyOp } from '../graph/lazy-tensor.js';
import { DataType } from '../proto/onnx.js';

/**
 * `1 / (1 + e^−x)` accurate in both tails. ORT's Sigmoid (MLAS) clamps x to about ±18, so
 * sigmoid(−30) comes out 1.5e-8 instead of 9.4e-14; with `e = e^−|x|` and `r = 1 / (1 + e)`,
 * the value is `r` for x ≥ 0 and `e·r` below, neither of which overflows or cancels.
 */
function emitSigmoid(g: GraphBuilder, x: string): string {
  const e = g.op('Exp', [g.op('Neg', [g.op('Abs', [x])])]);
  const r = g.op('Reciprocal', [g.op('Add', [e, g.float(1)])]);
  const nonNegative = g.op('GreaterOrEqual', [x, g.float(0)]);
  return g.op('Where', [nonNegative, r, g.op('Mul', [e, r])]);
}

/** `relu`, `sigmoid`, `tanh`. */
export const TRAINING_UNARY: Record<TrainingUnaryKernel, LazyOp> = {
  relu: { signature: 'relu', emit: (g, [x]) => g.op('Relu', [x as string]) },
  sigmoid: { signature: 'sigmoid', emit: (g, [x]) => emitSigmoid(g, x as string) },
  tanh: { signature: 'tanh', emit: (g, [x]) => g.op('Tanh', [x as string]) },
};

/** `greater`, `less`: ONNX gives booleans; 1 and 0 as float32. */
export const COMPARISON: Record<ComparisonKernel, LazyOp> = {
  greater: {
    signature: 'greater',
    emit: (g, [a, b]) =>
      g.op('Cast', [g.op('Greater', [a as string, b as string])], [attr.int('to', DataType.FLOAT)]),
  },
  less: {
    signature: 'less',
    emit: (g, [a, b]) =>
      g.op('Cast', [g.op('Less', [a as string, b as string])], [attr.int('to', DataType.FLOAT)]),
  },
};

/** 2-D `op(a) · op(b)`, op a transpose or not: ONNX Gemm without its bias. */
export function matMulOp(transposeA: boolean, transposeB: boolean): LazyOp {
  return {
    signature: `matMul{${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}}`,
    emit: (g, [a, b]) =>
      g.op(
        'Gemm',
        [a as string, b as string],
        [attr.int('transA', transposeA ? 1 : 0), attr.int('transB', transposeB ? 1 : 0)],
      ),
  };
}

/** Output axis i is input axis `perm[i]`. */
export function transposeOp(perm: readonly number[]): LazyOp {
  return {
    signature: `transpose{${perm.join(',')}}`,
    emit: (g, [x]) => g.op('Transpose', [x as string], [attr.ints('perm', perm)]),
  };
}

/** The same values in the node's own shape. */
export const RESHAPE: LazyOp = {
  signature: 'reshape',
  emit: (g, [x], _params, shape) => g.op('Reshape', [x as string, g.int64s(shape)]),
};

/** `x − logsumexp(x)` along the last axis (ONNX LogSoftmax-13 normalises that axis alone). */
export const LOG_SOFTMAX: LazyOp = {
  signature: 'logSoftmax',
  emit: (g, [x]) => g.op('LogSoftmax', [x as string], [attr.int('axis', -1)]),
};
