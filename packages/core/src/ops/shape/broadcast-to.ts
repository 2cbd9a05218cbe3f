import { sameShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { filledOn } from '../define.js';
import { add } from '../elementwise/add.js';
import { mul } from '../elementwise/mul.js';

/** `x` repeated along broadcast dimensions to `shape` (composed: `x · ones(shape)`). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return add(x, 0);
  const ones = filledOn(x.backend, shape, 1);
  const result = mul(x, ones);
  ones.dispose();
  return result;
}
