import type { Backend, RandomKey } from '../../backend.js';
import { getBackend } from '../../engine.js';
import { type Generator, toGenerator } from '../../random.js';
import type { Tensor } from '../../tensor.js';
import { checkShape } from '../../validate.js';
import { defineOp } from '../define.js';

/** What the randomNormal kernel gets: the output shape comes as the kernel's output; the key. */
export interface RandomNormalAttrs {
  readonly key: RandomKey;
}

/**
 * Standard normal draws; the same key gives the same numbers on one backend. Its statistics are
 * tested by the suite's random tests (mean, variance, KS at p < 1e-6, independence), not here.
 */
const RANDOM_NORMAL = defineOp<RandomNormalAttrs & { shape: readonly number[] }>({
  name: 'randomNormal',
  family: 'random',
  summary: 'independent N(0, 1) draws determined by a key',
  inputs: [],
  attrs: (options) => options as RandomNormalAttrs & { shape: readonly number[] },
  output: (_inputs, { shape }) => ({ shape, dtype: 'float32' }),
});

/** Draws of `shape` keyed by `key`, on `backend` (for ops composed on their inputs' backend). */
export function randomNormalOn(backend: Backend, shape: readonly number[], key: RandomKey): Tensor {
  return RANDOM_NORMAL.runOn(backend, { key, shape }) as Tensor;
}

/**
 * Standard normal draws of `shape` on the current backend, keyed by `generator` (a seed or
 * `rng(seed)`; default the global generator).
 */
export function randomNormal(shape: readonly number[], generator?: Generator | number): Tensor {
  const dims = checkShape('randomNormal', 'shape', shape);
  const key = toGenerator('randomNormal', 'generator', generator).nextKey();
  getBackend();
  return RANDOM_NORMAL.run([], { key, shape: dims }) as Tensor;
}
