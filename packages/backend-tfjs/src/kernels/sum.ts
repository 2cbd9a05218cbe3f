/**
 * Sums that stay accurate on engines that accumulate in float32 one element after another (the
 * wasm engine: 2e-4 relative error over 10⁶ terms). The terms are summed in blocks of at most
 * {@link BLOCK}, then the block sums the same way, so each float32 running sum is short.
 */
import type { SumAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

/** The longest run a float32 running sum may take: its error stays under 1024 · 2^-24 ≈ 6e-5. */
export const BLOCK = 1024;

/**
 * A block width for rows of `n` terms: a divisor of `n` near `min(√n, BLOCK)`, so no padding is
 * needed, or `null` if there is none within a factor of 4 (then the rows are padded with zeros).
 */
export function blockWidth(n: number): number | null {
  const target = Math.min(Math.floor(Math.sqrt(n)), BLOCK);
  for (let width = target; width >= Math.ceil(target / 4); width--) {
    if (n % width === 0) return width;
  }
  return null;
}

/** Sums of the rows of `m` (`[rows, n]`), blockwise. */
function sumRows(m: tf.Tensor2D): tf.Tensor1D {
  const [rows, n] = m.shape;
  if (n <= BLOCK) return tf.sum(m, 1);
  let width = blockWidth(n);
  let padded = m;
  if (width === null) {
    width = Math.min(Math.ceil(Math.sqrt(n)), BLOCK);
    padded = tf.pad(m, [
      [0, 0],
      [0, Math.ceil(n / width) * width - n],
    ]);
  }
  const blocks = padded.shape[1] / width;
  const partial = tf.sum(tf.reshape(padded, [rows * blocks, width]), 1);
  return sumRows(tf.reshape(partial, [rows, blocks]));
}

/**
 * `x` summed over `axes` (sorted, distinct, in range, not empty), dropping them. With
 * `accurateSum` (the engine accumulates wider than float32) this is `tf.sum`.
 */
export function sumAxes(x: tf.Tensor, axes: readonly number[], accurateSum: boolean): tf.Tensor {
  if (accurateSum) return tf.sum(x, [...axes]);
  const reduced = new Set(axes);
  const kept = x.shape.map((_, d) => d).filter((d) => !reduced.has(d));
  const keptShape = kept.map((d) => x.shape[d] as number);
  const n = axes.reduce((p, d) => p * (x.shape[d] as number), 1);
  if (n <= BLOCK) return tf.sum(x, [...axes]);
  return tf.tidy(() => {
    // Summed axes last, then one row per output element.
    const perm = [...kept, ...axes];
    const moved = perm.every((d, i) => d === i) ? x : tf.transpose(x, perm);
    const rows = keptShape.reduce((p, q) => p * q, 1);
    return tf.reshape(sumRows(tf.reshape(moved, [rows, n])), keptShape);
  });
}

/** The `sum` kernel: {@link sumAxes} with the engine's trait. */
export const sum: TfjsKernel<SumAttrs> = ([x], { axes }, _output, env) =>
  env.sum(x as tf.Tensor, axes);
