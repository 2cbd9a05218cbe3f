/** 1-D cross-correlation (NCW): ONNX Conv over one spatial axis. */
import { type Conv1dAttrs, sizeOf } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import { convWork } from './conv2d.js';
import type { OnnxKernel } from './kernel.js';

export const conv1d: OnnxKernel<Conv1dAttrs> = ([, w], a, output) => {
  const attributes = [
    attr.ints('pads', [a.padding, a.padding]),
    attr.ints('strides', [a.stride]),
    attr.ints('dilations', [a.dilation]),
    attr.int('group', a.groups),
  ];
  return {
    signature: `conv1d{s${a.stride},p${a.padding},d${a.dilation},g${a.groups}}`,
    work: convWork(sizeOf(output.shape), w?.shape ?? []),
    emit: (g, [x, w]) => g.op('Conv', [x as string, w as string], attributes),
  };
};
