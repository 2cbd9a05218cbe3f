/**
 * What the convolution kernels share: core's layout (NCHW tensors, weights [out, in/groups, kh,
 * kw]) moved to the one every tfjs engine runs (NHWC, filters [kh, kw, in, out]: the wasm engine
 * refuses NCHW), padding as tfjs's explicit per-side form, groups as one tfjs convolution per
 * group, and dilation written into the filter where tfjs will not take it.
 */
import type { Pair } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import { padMerged } from './pad.js';

/** `[N, C, H, W]` → `[N, H, W, C]`. */
export const toNHWC = (x: tf.Tensor): tf.Tensor4D => tf.transpose(x as tf.Tensor4D, [0, 2, 3, 1]);

/** `[N, H, W, C]` → `[N, C, H, W]`. */
export const toNCHW = (x: tf.Tensor): tf.Tensor4D => tf.transpose(x as tf.Tensor4D, [0, 3, 1, 2]);

/** Weights `[out, in, kh, kw]` → a tfjs filter `[kh, kw, in, out]`. */
export const toFilter = (w: tf.Tensor): tf.Tensor4D => tf.transpose(w as tf.Tensor4D, [2, 3, 1, 0]);

/** A tfjs filter `[kh, kw, in, out]` → weights `[out, in, kh, kw]`. */
export const fromFilter = (f: tf.Tensor): tf.Tensor4D =>
  tf.transpose(f as tf.Tensor4D, [3, 2, 0, 1]);

/** Zero padding `[top/bottom, left/right]` as tfjs's explicit padding of an NHWC tensor. */
export function explicitPadding([ph, pw]: Pair): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [ph, ph],
    [pw, pw],
    [0, 0],
  ];
}

/** Whether either entry of a pair exceeds 1. */
export const above1 = ([a, b]: Pair): boolean => a > 1 || b > 1;

/**
 * A filter `[kh, kw, in, out]` with `d − 1` zero taps inserted between its taps along each axis:
 * at dilation 1 it covers what the original covers at dilation `d`. For the cases tfjs refuses
 * (stride and dilation both above 1; its gradient kernels take no dilation). The zero taps add
 * exact zeros (except where an input is ±∞ or NaN, which gives NaN as 0 · ∞ does).
 */
export function dilateFilter(f: tf.Tensor4D, [dh, dw]: Pair): tf.Tensor4D {
  if (dh === 1 && dw === 1) return f;
  const [kh, kw, i, o] = f.shape;
  // Each tap followed by d − 1 zeros: [kh, 1, kw, 1, …] padded to [kh, dh, kw, dw, …].
  const spread = padMerged(tf.reshape(f, [kh, 1, kw, 1, i, o]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spread, [kh * dh, kw * dw, i, o]) as tf.Tensor4D,
    [0, 0, 0, 0],
    [(kh - 1) * dh + 1, (kw - 1) * dw + 1, i, o],
  );
}

/** The taps of a dilated filter's gradient (every d-th row and column): {@link dilateFilter}'s inverse. */
export function undilateFilter(g: tf.Tensor4D, [dh, dw]: Pair): tf.Tensor4D {
  if (dh === 1 && dw === 1) return g;
  return tf.stridedSlice(g, [0, 0, 0, 0], g.shape, [dh, dw, 1, 1]) as tf.Tensor4D;
}

/** `x` cut into `groups` equal parts along `axis` (itself when there is one group). */
export function splitGroups<T extends tf.Tensor>(x: T, groups: number, axis: number): T[] {
  return groups === 1 ? [x] : (tf.split(x, groups, axis) as T[]);
}

/** Per-group results joined along `axis`. */
export function joinGroups(parts: readonly tf.Tensor4D[], axis: number): tf.Tensor4D {
  return parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts as tf.Tensor4D[], axis);
}
