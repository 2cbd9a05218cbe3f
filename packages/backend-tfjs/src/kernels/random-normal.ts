/** Standard normal draws on tfjs's own generator, keyed by an illia-ts random key. */
import type { RandomKey, RandomNormalAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

/**
 * The seed tfjs gets for `key`. tfjs's `randomNormal` seeds an alea generator with
 * `String(seed)`, so a string is the one seed that carries all 64 bits of (seed, counter): a
 * number would keep only 53, and alea's string hash sends distinct strings to unrelated streams.
 * (tfjs types the parameter as a number; its `randomUniform` takes strings openly.)
 */
export function tfjsSeed(key: RandomKey): number {
  return `illia-ts:${key.seed}:${key.counter}` as unknown as number;
}

/** `N(0, 1)` draws of `shape`, the same for the same key on the same engine. */
export function normalDraws(shape: readonly number[], key: RandomKey): tf.Tensor {
  return tf.randomNormal([...shape], 0, 1, 'float32', tfjsSeed(key));
}

/** The `randomNormal` kernel: draws of the output's shape. */
export const randomNormal: TfjsKernel<RandomNormalAttrs> = (_inputs, { key }, output) =>
  normalDraws(output.shape, key);
