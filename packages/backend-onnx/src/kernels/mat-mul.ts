/** 2-D `op(a) · op(b)`, op a transpose or not: ONNX Gemm without its bias. */
import { type MatMulAttrs, sizeOf } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import type { OnnxKernel } from './kernel.js';

export const matMul: OnnxKernel<MatMulAttrs> = ([a], { transposeA, transposeB }, output) => ({
  signature: `matMul{${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}}`,
  // M·N·K multiply-adds.
  work: sizeOf(output.shape) * ((a?.shape[transposeA ? 0 : 1] ?? 1) as number),
  emit: (g, [a, b]) =>
    g.op(
      'Gemm',
      [a as string, b as string],
      [attr.int('transA', transposeA ? 1 : 0), attr.int('transB', transposeB ? 1 : 0)],
    ),
});
