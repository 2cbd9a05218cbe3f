/**
 * Sum over axes. ONNX Runtime's float32 ReduceSum accumulates in float32; casting to double first
 * makes a million float32 terms sum with no measurable error, for one extra pass over the input.
 */
import type { SumAttrs } from '@illia-ts/core';
import { attr, type GraphBuilder } from '../graph/graph-builder.js';
import { DataType } from '../proto/onnx.js';
import type { OnnxKernel } from './kernel.js';

/** Sums `x` over `axes` (all axes when omitted) in float64 and returns a float32 value. */
export function emitSum(g: GraphBuilder, x: string, axes?: readonly number[]): string {
  const wide = g.op('Cast', [x], [attr.int('to', DataType.DOUBLE)]);
  const inputs = axes === undefined ? [wide] : [wide, g.int64s(axes)];
  const total = g.op('ReduceSum', inputs, [attr.int('keepdims', 0)]);
  return g.op('Cast', [total], [attr.int('to', DataType.FLOAT)]);
}

export const sum: OnnxKernel<SumAttrs> = (_inputs, { axes }) => ({
  signature: `sum{${axes.join(',')}}`,
  emit: (g, [x]) => emitSum(g, x as string, axes),
});
