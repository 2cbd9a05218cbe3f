/** The mean of each window, zero padding counted: ONNX AveragePool with count_include_pad. */
import { type Pool2dAttrs, sizeOf } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import type { OnnxKernel } from './kernel.js';
import { poolAttributes, poolKey } from './max-pool2d.js';

export const avgPool2d: OnnxKernel<Pool2dAttrs> = (_inputs, a, output) => {
  const attributes = [...poolAttributes(a), attr.int('count_include_pad', 1)];
  return {
    signature: `avgPool2d{${poolKey(a)}}`,
    work: sizeOf(output.shape) * a.kernel[0] * a.kernel[1],
    emit: (g, [x]) => g.op('AveragePool', [x as string], attributes),
  };
};
