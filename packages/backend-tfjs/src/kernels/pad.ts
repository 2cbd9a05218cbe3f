/** `pad`: tfjs's own, zeros before and after along each axis (float32 or int32). */
import type { PadAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const pad: TfjsKernel<PadAttrs> = ([x], { paddings }) =>
  tf.pad(
    x as tf.Tensor,
    paddings.map(([before, after]) => [before, after]),
  );
