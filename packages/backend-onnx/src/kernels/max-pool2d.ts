/** The maximum of each window (NCHW): ONNX MaxPool, whose padding never wins. */
import { type Pool2dAttrs, sizeOf } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import type { AttributeProto } from '../proto/onnx.js';
import type { OnnxKernel } from './kernel.js';

/** ONNX's attributes of a pool's geometry; pads are [top, left, bottom, right]. */
export function poolAttributes(a: Pool2dAttrs): AttributeProto[] {
  const [ph, pw] = a.padding;
  return [
    attr.ints('kernel_shape', a.kernel),
    attr.ints('pads', [ph, pw, ph, pw]),
    attr.ints('strides', a.stride),
  ];
}

/** The geometry, for signatures. */
export const poolKey = (a: Pool2dAttrs): string =>
  `k${a.kernel.join('x')},s${a.stride.join('x')},p${a.padding.join('x')}`;

export const maxPool2d: OnnxKernel<Pool2dAttrs> = (_inputs, a, output) => {
  const attributes = poolAttributes(a);
  return {
    signature: `maxPool2d{${poolKey(a)}}`,
    work: sizeOf(output.shape) * a.kernel[0] * a.kernel[1],
    emit: (g, [x]) => g.op('MaxPool', [x as string], attributes),
  };
};
