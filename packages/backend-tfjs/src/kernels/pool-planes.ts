/**
 * What the pool kernels share: an NCHW tensor pooled as `N·C` planes of one channel (an NHWC
 * tensor `[N·C, H, W, 1]`, a reshape, no copy), padded explicitly so that tfjs pools only
 * unpadded windows ('valid') and no engine's own padding rule matters.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';

/** `x` `[N, C, H, W]` as planes `[N·C, H + 2ph, W + 2pw, 1]`, padded with `value`. */
export function paddedPlanes(x: tf.Tensor, a: Pool2dAttrs, value: number): tf.Tensor4D {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const planes = tf.reshape(x, [n * c, h, w, 1]) as tf.Tensor4D;
  const [ph, pw] = a.padding;
  if (ph === 0 && pw === 0) return planes;
  return tf.pad(
    planes,
    [
      [0, 0],
      [ph, ph],
      [pw, pw],
      [0, 0],
    ],
    value,
  );
}

/** Planes `[N·C, Ho, Wo, 1]` back to `[N, C, Ho, Wo]`. */
export function fromPlanes(y: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.reshape(y, [...shape]);
}

/** tfjs's window and stride arguments. */
export function poolWindow(a: Pool2dAttrs): { size: [number, number]; stride: [number, number] } {
  return { size: [a.kernel[0], a.kernel[1]], stride: [a.stride[0], a.stride[1]] };
}
