/**
 * `reshape`: a new tfjs tensor on the same data, not a copy. tfjs counts references to the buffer,
 * so disposing either tensor leaves the other intact and the buffer goes with the last one.
 * `memory()` still reports 4 bytes per element for each live handle, as core's `MemoryInfo` says
 * (`tf.memory().numBytes` is per tensor; `numDataBuffers` is what shows the sharing).
 */
import type { ReshapeAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const reshape: TfjsKernel<ReshapeAttrs> = ([x], { shape }) =>
  tf.reshape(x as tf.Tensor, [...shape]);
