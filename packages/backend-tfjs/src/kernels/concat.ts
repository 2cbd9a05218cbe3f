/** `concat`: tfjs's own, joining the inputs (one dtype, float32 or int32) along the axis. */
import type { ConcatAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const concat: TfjsKernel<ConcatAttrs> = (tensors, { axis }) => tf.concat([...tensors], axis);
