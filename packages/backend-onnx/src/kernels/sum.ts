/**
 * Sum over axes. ONNX Runtime's float32 ReduceSum accumulates in float32; casting to double first
 * makes a million float32 terms sum with no measurable error, for one extra pass over the input.
 *
 * GPU providers have no float64 (ONNX Runtime 1.30 runs the double Cast and ReduceSum on its CPU
 * fallback, copying the whole tensor there), so the portable form sums blocks of
 * {@link GPU_BLOCK} terms in float32 on the device and only the block sums in float64: a copy
 * 1/256 of the size, and an error within 255 roundings of the block's Σ|x| (Higham), against the
 * n − 1 the op allows.
 */
import type { SumAttrs } from '@illia-ts/core';
import { attr, type GraphBuilder } from '../graph/graph-builder.js';
import { DataType } from '../proto/onnx.js';
import type { OnnxKernel } from './kernel.js';

/** Terms each float32 block sum of the portable form adds. */
export const GPU_BLOCK = 256;

function sumInDouble(g: GraphBuilder, x: string, axes?: readonly number[]): string {
  const wide = g.op('Cast', [x], [attr.int('to', DataType.DOUBLE)]);
  const inputs = axes === undefined ? [wide] : [wide, g.int64s(axes)];
  const total = g.op('ReduceSum', inputs, [attr.int('keepdims', 0)]);
  return g.op('Cast', [total], [attr.int('to', DataType.FLOAT)]);
}

/**
 * Sums `x` over `axes` (all axes when omitted) in float64 and returns a float32 value. With x's
 * `shape`, on a GPU provider, in float32 blocks first (see above).
 */
export function emitSum(
  g: GraphBuilder,
  x: string,
  axes?: readonly number[],
  shape?: readonly number[],
): string {
  if (!g.portable || shape === undefined) return sumInDouble(g, x, axes);
  const reduced = axes ?? shape.map((_, i) => i);
  const kept = shape.map((_, i) => i).filter((i) => !reduced.includes(i));
  const size = (dims: readonly number[]) => dims.reduce((p, d) => p * (shape[d] as number), 1);
  const [r, k] = [size(reduced), size(kept)];
  const keptShape = kept.map((d) => shape[d] as number);
  const perm = [...kept, ...reduced];
  const moved = perm.every((d, i) => d === i)
    ? x
    : g.op('Transpose', [x], [attr.ints('perm', perm)]);
  const rows = g.op('Reshape', [moved, g.int64s([k, r])]);
  const keep0 = [attr.int('keepdims', 0)];
  if (r <= GPU_BLOCK) {
    return g.op('Reshape', [g.op('ReduceSum', [rows, g.int64s([1])], keep0), g.int64s(keptShape)]);
  }
  const blocks = Math.ceil(r / GPU_BLOCK);
  const padded =
    blocks * GPU_BLOCK === r
      ? rows
      : g.op('Pad', [rows, g.int64s([0, 0, 0, blocks * GPU_BLOCK - r])]);
  const partial = g.op(
    'ReduceSum',
    [g.op('Reshape', [padded, g.int64s([k, blocks, GPU_BLOCK])]), g.int64s([2])],
    keep0,
  );
  return g.op('Reshape', [sumInDouble(g, partial, [1]), g.int64s(keptShape)]);
}

export const sum: OnnxKernel<SumAttrs> = ([x], { axes }) => {
  const shape = x?.shape;
  return {
    signature: `sum{${axes.join(',')}}`,
    emit: (g, [xv]) => emitSum(g, xv as string, axes, shape),
  };
};
