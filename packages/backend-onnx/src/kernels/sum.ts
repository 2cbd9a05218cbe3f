/**
 * Sum over axes. ONNX Runtime's float32 ReduceSum accumulates in float32; summing in double makes
 * a million float32 terms sum with an error of one final rounding, but casting a large tensor to
 * double costs more than the sum: on [64, 16, 24, 24] (one thread, ORT 1.30, load 2) the whole
 * sum took 0.54 ms through double and 0.11–0.14 ms as below. So a large tensor whose reduced axes
 * end with a run of {@link MIN_BLOCK}–{@link MAX_BLOCK} divisible size is first summed in float32
 * blocks of that many consecutive terms, and only the block sums in double: an error within
 * (block − 1) roundings of a block's Σ|x| (Higham), against the n − 1 the op allows.
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

/** The fewest and most terms of a float32 block sum on the cpu provider. */
export const MIN_BLOCK = 16;
export const MAX_BLOCK = 64;
/** Tensors smaller than this are summed in double alone (the cast costs little there). */
const BLOCKED_FROM = 2 ** 14;

/** The largest divisor of `run` from MIN_BLOCK to MAX_BLOCK, or 0. */
function blockOf(run: number): number {
  for (let d = MAX_BLOCK; d >= MIN_BLOCK; d--) if (run % d === 0) return d;
  return 0;
}

/**
 * The sum over `axes` in float32 blocks of consecutive terms of the trailing reduced run, then in
 * double; null where x is small or that run has no block size.
 */
function sumInBlocks(
  g: GraphBuilder,
  x: string,
  shape: readonly number[],
  axes: readonly number[] | undefined,
): string | null {
  const rank = shape.length;
  if (shape.reduce((p, d) => p * d, 1) < BLOCKED_FROM) return null;
  const reduced = new Set(axes ?? shape.map((_, i) => i));
  let lead = rank;
  while (lead > 0 && reduced.has(lead - 1)) lead--;
  const run = shape.slice(lead).reduce((p, d) => p * d, 1);
  const block = lead === rank ? 0 : blockOf(run);
  if (block === 0) return null;
  const blocks = g.op('Reshape', [x, g.int64s([...shape.slice(0, lead), run / block, block])]);
  const partial = g.op('ReduceSum', [blocks, g.int64s([lead + 1])], [attr.int('keepdims', 0)]);
  const rest = [...[...reduced].filter((a) => a < lead).sort((a, b) => a - b), lead];
  return sumInDouble(g, partial, rest);
}

function sumInDouble(g: GraphBuilder, x: string, axes?: readonly number[]): string {
  const wide = g.op('Cast', [x], [attr.int('to', DataType.DOUBLE)]);
  const inputs = axes === undefined ? [wide] : [wide, g.int64s(axes)];
  const total = g.op('ReduceSum', inputs, [attr.int('keepdims', 0)]);
  return g.op('Cast', [total], [attr.int('to', DataType.FLOAT)]);
}

/**
 * Sums `x` over `axes` (all axes when omitted) in float64 and returns a float32 value. With x's
 * `shape`, in float32 blocks first where that pays (see above), and on a GPU provider always.
 */
export function emitSum(
  g: GraphBuilder,
  x: string,
  axes?: readonly number[],
  shape?: readonly number[],
): string {
  if (shape === undefined) return sumInDouble(g, x, axes);
  if (!g.portable) return sumInBlocks(g, x, shape, axes) ?? sumInDouble(g, x, axes);
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
