/** Tensors joined along an axis (all float32 or all int32): ONNX Concat, variadic. */
import type { ConcatAttrs } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import type { OnnxKernel } from './kernel.js';

export const concat: OnnxKernel<ConcatAttrs> = (_inputs, { axis }) => ({
  signature: `concat{${axis}}`,
  emit: (g, tensors) => g.op('Concat', tensors, [attr.int('axis', axis)]),
});
