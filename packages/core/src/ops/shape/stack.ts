import type { DType } from '../../backend.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { concat } from './concat.js';
import { reshape } from './reshape.js';

/**
 * `tensors` (all of one shape) stacked along a new axis `axis` (default 0), as `tf.stack`;
 * composed: each gains an axis of size 1, then {@link concat}.
 */
export function stack<D extends DType = 'float32'>(
  tensors: readonly Tensor<D>[],
  axis = 0,
): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new TypeError(
      `stack: tensors must be a non-empty array of tensors, got ${describe(tensors)}`,
    );
  }
  const rank = (tensors[0] as Tensor<D>).shape?.length ?? 0;
  if (!(Number.isInteger(axis) && axis >= -(rank + 1) && axis <= rank)) {
    throw new RangeError(
      `stack: axis must be an integer in [${-(rank + 1)}, ${rank}], got ${describe(axis)}`,
    );
  }
  const at = axis < 0 ? axis + rank + 1 : axis;
  const expanded = tensors.map((t) => {
    if (t === undefined || t === null || !Array.isArray((t as Tensor<D>).shape)) return t;
    const s = [...t.shape];
    s.splice(at, 0, 1);
    return reshape(t, s);
  });
  try {
    return concat(expanded, at);
  } finally {
    expanded.forEach((e, i) => {
      if (e !== tensors[i]) e.dispose();
    });
  }
}
