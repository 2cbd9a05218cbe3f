/** The block at `begin` of `size` (float32 or int32): ONNX Slice over every axis. */
import type { SliceAttrs } from '@illia-ts/core';
import type { OnnxKernel } from './kernel.js';

export const slice: OnnxKernel<SliceAttrs> = (_inputs, { begin, size }) => {
  const end = begin.map((b, d) => b + (size[d] as number));
  const axes = begin.map((_, d) => d);
  return {
    signature: `slice{${begin.join(',')};${size.join(',')}}`,
    emit: (g, [x]) =>
      // A scalar's only block is itself.
      axes.length === 0
        ? g.op('Identity', [x as string])
        : g.op('Slice', [x as string, g.int64s(begin), g.int64s(end), g.int64s(axes)]),
  };
};
