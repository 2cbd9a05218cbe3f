/**
 * `maxPool2dGrad`: each window's dy goes to the position of its FIRST maximum (row-major within
 * the window, PyTorch's choice among ties), on planes padded with −∞ so padding never wins. Where
 * the engine's own `MaxPoolGrad` kernel picks the first maximum too (tfjs-backend-cpu: its
 * `maxPoolPositions` keeps the first `>`), that kernel runs; the wasm engine's picks the LAST one
 * among ties, so there (and on engines without the kernel, or that fail the probe in
 * `engine-traits.ts`) the choice is composed from tfjs ops: {@link firstMaxGrad}.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';
import { padMerged } from './pad.js';
import { paddedPlanes, poolWindow } from './pool-planes.js';

/**
 * The gradient on padded planes `[P, Hp, Wp]` from dy `[P, Ho, Wo]`, composed: the window's taps
 * (strided slices of the planes) are visited in row-major order, and each takes dy where it equals
 * the window's maximum and no earlier tap did; its share is spread back to the tap's positions.
 */
export function firstMaxGrad(planes: tf.Tensor3D, dy: tf.Tensor3D, a: Pool2dAttrs): tf.Tensor3D {
  const [count, hp, wp] = planes.shape;
  const [, ho, wo] = dy.shape;
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const taps: { p: number; q: number; values: tf.Tensor3D }[] = [];
  for (let p = 0; p < kh; p++) {
    for (let q = 0; q < kw; q++) {
      const end = [count, p + (ho - 1) * sh + 1, q + (wo - 1) * sw + 1];
      taps.push({
        p,
        q,
        values: tf.stridedSlice(planes, [0, p, q], end, [1, sh, sw]) as tf.Tensor3D,
      });
    }
  }
  const max = taps.map((t) => t.values).reduce((m, v) => tf.maximum(m, v));
  const zeros = tf.zerosLike(dy);
  let taken = tf.cast(zeros, 'bool');
  const shares = taps.map(({ p, q, values }) => {
    const hit = tf.logicalAnd(tf.equal(values, max), tf.logicalNot(taken));
    taken = tf.logicalOr(taken, hit);
    const share = tf.where(hit, dy, zeros);
    // Element (i, j) to (p + i·sh, q + j·sw): sh − 1 and sw − 1 zeros after each, then shifted.
    const spread = tf.reshape(
      padMerged(tf.reshape(share, [count, ho, 1, wo, 1]), [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
      ]),
      [count, ho * sh, wo * sw],
    );
    const rows = Math.min(ho * sh, hp - p);
    const cols = Math.min(wo * sw, wp - q);
    return tf.pad(tf.slice(spread, [0, 0, 0], [count, rows, cols]), [
      [0, 0],
      [p, hp - p - rows],
      [q, wp - q - cols],
    ]);
  });
  // Added one at a time, in order (as tfjs-backend-cpu's AddN does): tfjs-backend-webgpu 4.22 binds
  // every AddN input to one shader, and past the device's 8 storage buffers (WebGPU's default
  // limit, which it does not raise) the pipeline is invalid and the result silently zeros.
  return shares.reduce((sum, share) => tf.add(sum, share)) as tf.Tensor3D;
}

export const maxPool2dGrad: TfjsKernel<Pool2dAttrs> = ([x, dy], a, output, env) => {
  const [n, c, h, w] = output.shape as [number, number, number, number];
  const [, , ho, wo] = (dy as tf.Tensor).shape as [number, number, number, number];
  const planes = paddedPlanes(x as tf.Tensor, a, Number.NEGATIVE_INFINITY);
  const [, hp, wp] = planes.shape;
  let grad: tf.Tensor;
  if (env.traits.maxPoolGradFirstMax) {
    const { size, stride } = poolWindow(a);
    grad = tf.engine().runKernel(
      tf.MaxPoolGrad,
      {
        dy: tf.reshape(dy as tf.Tensor, [n * c, ho, wo, 1]),
        input: planes,
        output: tf.maxPool(planes, size, stride, 'valid'),
      },
      { filterSize: size, strides: stride, pad: 'valid' },
    ) as tf.Tensor;
  } else {
    grad = firstMaxGrad(
      tf.reshape(planes, [n * c, hp, wp]) as tf.Tensor3D,
      tf.reshape(dy as tf.Tensor, [n * c, ho, wo]) as tf.Tensor3D,
      a,
    );
  }
  const [ph, pw] = a.padding;
  const unpadded = tf.slice(tf.reshape(grad, [n * c, hp, wp]), [0, ph, pw], [n * c, h, w]);
  return tf.reshape(unpadded, [n, c, h, w]);
};
