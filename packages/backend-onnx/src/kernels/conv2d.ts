/** 2-D cross-correlation (NCHW): ONNX Conv with pads, strides, dilations and group. */
import { type Conv2dAttrs, sizeOf } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import type { AttributeProto } from '../proto/onnx.js';
import type { OnnxKernel } from './kernel.js';

/** ONNX's attributes of conv2d's geometry; pads are [top, left, bottom, right]. */
export function convAttributes(a: Conv2dAttrs): AttributeProto[] {
  const [ph, pw] = a.padding;
  return [
    attr.ints('pads', [ph, pw, ph, pw]),
    attr.ints('strides', a.stride),
    attr.ints('dilations', a.dilation),
    attr.int('group', a.groups),
  ];
}

/** The geometry, for signatures. */
export const convKey = (a: Conv2dAttrs): string =>
  `s${a.stride.join('x')},p${a.padding.join('x')},d${a.dilation.join('x')},g${a.groups}`;

/** Multiply-adds of a convolution: each of `outputs` takes one output channel's weights. */
export const convWork = (outputs: number, weights: readonly number[]): number =>
  (outputs * sizeOf(weights)) / Math.max(1, weights[0] as number);

export const conv2d: OnnxKernel<Conv2dAttrs> = ([, w], a, output) => {
  const attributes = convAttributes(a);
  return {
    signature: `conv2d{${convKey(a)}}`,
    work: convWork(sizeOf(output.shape), w?.shape ?? []),
    emit: (g, [x, w]) => g.op('Conv', [x as string, w as string], attributes),
  };
};
