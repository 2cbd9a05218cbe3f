/** `broadcastTo`: tfjs's own. */
import type { BroadcastToAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const broadcastTo: TfjsKernel<BroadcastToAttrs> = ([x], { shape }) =>
  tf.broadcastTo(x as tf.Tensor, [...shape]);
