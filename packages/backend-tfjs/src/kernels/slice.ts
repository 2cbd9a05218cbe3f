/** `slice`: tfjs's own (float32 or int32), with core's normalised begin and size. */
import type { SliceAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const slice: TfjsKernel<SliceAttrs> = ([x], { begin, size }) =>
  tf.slice(x as tf.Tensor, [...begin], [...size]);
