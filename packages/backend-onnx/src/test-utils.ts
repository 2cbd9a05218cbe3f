/** For this package's tests: kernels called directly, as core calls them. */
import { broadcastShapes, type DType } from '@illia-ts/core';
import type { LazyTensor } from './graph/lazy-tensor.js';
import type { OnnxBackend } from './onnx-backend.js';

/**
 * Runs kernel `name` of `backend` on `inputs` (recording a node); the output's shape defaults to
 * the inputs' broadcast shape and its dtype to float32, which is right for elementwise ops.
 */
export function call(
  backend: OnnxBackend,
  name: string,
  inputs: readonly LazyTensor[],
  attrs: object = {},
  shape: readonly number[] = inputs
    .map((t) => t.shape)
    .reduce<readonly number[]>((a, b) => broadcastShapes(a, b) ?? [], []),
  dtype: DType = 'float32',
): LazyTensor {
  const kernel = backend.kernels[name];
  if (kernel === undefined) throw new Error(`test: backend has no '${name}' kernel`);
  return kernel(inputs, attrs, { shape, dtype }) as LazyTensor;
}
