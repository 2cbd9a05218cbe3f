/** `pad`: tfjs's own, zeros before and after along each axis (float32 or int32). */
import type { PadAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

/**
 * `tf.pad` with each unpadded axis merged into the axis before it (a reshape, no copy): the same
 * result, at the lowest rank that keeps the padded axes apart. tfjs-backend-webgl's packed pad
 * program does not compile at rank 5 or 6 (`lessThan` has no overload for its `ivec5`/`ivec6`
 * structs: "Failed to compile fragment shader"), which the dilated filters and the composed
 * max-pool gradient reached.
 */
export function padMerged<T extends tf.Tensor>(
  x: T,
  paddings: readonly (readonly [number, number])[],
  value = 0,
): T {
  const shape: number[] = [];
  const merged: [number, number][] = [];
  x.shape.forEach((size, axis) => {
    const [before, after] = paddings[axis] as readonly [number, number];
    const last = merged.length - 1;
    if (before === 0 && after === 0 && last >= 0) {
      shape[last] = (shape[last] as number) * size;
      const [b, a] = merged[last] as [number, number];
      merged[last] = [b * size, a * size];
    } else {
      shape.push(size);
      merged.push([before, after]);
    }
  });
  if (shape.length === x.rank) return tf.pad(x, paddings as [number, number][], value);
  const outShape = x.shape.map((size, axis) => {
    const [before, after] = paddings[axis] as readonly [number, number];
    return size + before + after;
  });
  return tf.reshape(tf.pad(tf.reshape(x, shape), merged, value), outShape) as T;
}

export const pad: TfjsKernel<PadAttrs> = ([x], { paddings }) => padMerged(x as tf.Tensor, paddings);
