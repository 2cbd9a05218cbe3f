import type { Backend } from '../../backend.js';
import { getBackend } from '../../engine.js';
import { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { gather } from './gather.js';

/** What a oneHot kernel gets: the number of classes. */
export interface OneHotAttrs {
  readonly depth: number;
}

const ONE_HOT = defineOp<OneHotAttrs>({
  name: 'oneHot',
  family: 'indexing',
  summary:
    'float32 rows of zeros with a 1 at each int32 label; composed from gather where a backend has no kernel',
  inputs: [{ name: 'labels', dtype: 'int32' }],
  attrs: (options, [labels]) => {
    const depth = options;
    if (!(typeof depth === 'number' && Number.isSafeInteger(depth) && depth > 0)) {
      throw new RangeError(`oneHot: depth must be a positive integer, got ${describe(depth)}`);
    }
    const range = (labels as Tensor<'int32'>).valueRange;
    if (range !== undefined && (range[0] < 0 || range[1] >= depth)) {
      throw new RangeError(
        `oneHot: labels must be integers in [0, ${depth}), got values in [${range[0]}, ${range[1]}]`,
      );
    }
    return { depth };
  },
  output: ([labels], { depth }) => ({
    shape: [...(labels as Tensor<'int32'>).shape, depth],
    dtype: 'float32',
  }),
  fallback: ([labels], { depth }) => {
    const backend = (labels as Tensor<'int32'>).backend;
    const eye = new Float32Array(depth * depth);
    for (let i = 0; i < depth; i++) eye[i * depth + i] = 1;
    const identity = new Tensor(backend.makeTensor(eye, [depth, depth]), backend);
    return gather(identity, labels as Tensor<'int32'>);
  },
  reference: ([labels], { depth }) => {
    const l = (labels as RefTensor).values;
    const out = new Float64Array(l.length * depth);
    l.forEach((v, i) => {
      out[i * depth + v] = 1;
    });
    return out;
  },
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    {
      name: '[4] labels, depth 3',
      inputs: [{ shape: [4], dtype: 'int32', values: [2, 0, 1, 2] }],
      options: 3,
    },
    {
      name: '[2, 2] labels, depth 5',
      inputs: [{ shape: [2, 2], dtype: 'int32', values: [4, 0, 3, 3] }],
      options: 5,
    },
  ],
  errors: [
    {
      name: 'label out of range',
      inputs: [{ shape: [2], dtype: 'int32', values: [0, 3] }],
      options: 3,
      throws: /oneHot: labels must be integers in \[0, 3\), got values in \[0, 3\]/,
    },
    {
      name: 'float labels',
      inputs: [{ shape: [2] }],
      options: 3,
      throws: /oneHot: labels must be an int32 tensor, got float32/,
    },
  ],
});

/**
 * One-hot rows: `[...labels.shape, depth]`, 1 at each label. `labels` is an int32 tensor (the
 * rows land on its backend) or integers in [0, depth) (on `backend`, default the current one).
 */
export function oneHot(
  labels: Tensor<'int32'> | ArrayLike<number>,
  depth: number,
  backend?: Backend,
): Tensor {
  if (labels instanceof Tensor) return ONE_HOT.run([labels], depth) as Tensor;
  if (
    labels === null ||
    typeof labels !== 'object' ||
    typeof (labels as ArrayLike<number>).length !== 'number'
  ) {
    throw new TypeError(
      `oneHot: labels must be an int32 tensor or an array of integers, got ${describe(labels)}`,
    );
  }
  const on = backend ?? getBackend();
  const values = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (!(Number.isInteger(label) && label >= 0 && label < 2 ** 31)) {
      throw new RangeError(
        `oneHot: labels[${i}] must be an integer in [0, ${depth}), got ${describe(label)}`,
      );
    }
    values[i] = label;
  }
  const t = new Tensor<'int32'>(on.makeTensor(values, [labels.length]), on);
  if (values.length > 0) t.valueRange = [Math.min(...values), Math.max(...values)];
  try {
    return ONE_HOT.run([t], depth) as Tensor;
  } finally {
    t.dispose();
  }
}
